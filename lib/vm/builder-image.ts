// The builder VM image: made by kiln itself (`disk-image-create debian vm kiln-builder`) the
// first time a --vm build needs it, kept in the cache under vm/builder-<key>/, and made again
// when kiln changes (its files: the key is a hash of dist/, bin/, flavours/, package.json and
// the lock file) or the Node.js binary it copies does. Only this build needs root; every --vm
// build after it runs as any user who may start QEMU.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import fg from 'fast-glob';
import { buildRequest } from '../config/parse-options.js';
import type { BuildRequest } from '../config/build-request.js';
import { KilnError } from '../errors.js';
import type { LogSink } from '../log.js';
import { resolveBuild, type ResolvedBuild } from '../plan/resolved-build.js';
import { checkPrivilege } from '../engine/preflight.js';
import type { EventSink } from '../report/events.js';
import { sha256 } from '../cache/keys.js';
import { kilnRoot, packageEntries } from './kiln-bundle.js';

/** Root filesystem label of the builder image (the VM boots root=LABEL=...). */
const BUILDER_ROOT_LABEL = 'kiln-builder';
/** The flavours the builder image is built from. */
const BUILDER_FLAVOURS = ['debian', 'vm', 'kiln-builder'];
/** Bumped when the way kiln boots the builder changes in a way its files do not show. */
const BUILDER_FORMAT = 1;

/** A builder image in the cache. */
export interface BuilderImage {
  key: string;
  dir: string;
  disk: string;
  kernel: string;
  initrd: string;
  rootLabel: string;
}

/** The builder key of kiln at `root` copying the node binary `node`. */
export function builderKey(root = kilnRoot(), node = process.execPath): string {
  const hash = createHash('sha256').update(`kiln-builder format ${BUILDER_FORMAT}\n`);
  const patterns = packageEntries(root).filter((e) => e !== 'README.md').map((e) => (statSync(join(root, e)).isDirectory() ? `${e}/**` : e));
  for (const file of fg.sync(patterns, { cwd: root, dot: true, onlyFiles: true, followSymbolicLinks: true }).sort()) {
    hash.update(`${file} ${sha256(readFileSync(join(root, file)))}\n`);
  }
  const stat = statSync(node);
  hash.update(`node ${node} ${stat.size} ${Math.round(stat.mtimeMs)}\n`);
  return hash.digest('hex').slice(0, 20);
}

/** Where the builder of `key` lives in `cacheDir`. The kernel is the uncompressed one when the
 * flavour could extract it (QEMU boots it without the emulated CPU decompressing it first). */
export function builderImage(cacheDir: string, key: string): BuilderImage {
  const dir = join(cacheDir, 'vm', `builder-${key}`);
  const vmlinux = join(dir, 'disk.vmlinux');
  return {
    key, dir, disk: join(dir, 'disk.qcow2'), kernel: existsSync(vmlinux) ? vmlinux : join(dir, 'disk.vmlinuz'), initrd: join(dir, 'disk.initrd'),
    rootLabel: BUILDER_ROOT_LABEL,
  };
}

/** The builder of `key` if it is complete in `cacheDir`. */
export function findBuilder(cacheDir: string, key: string): BuilderImage | undefined {
  const image = builderImage(cacheDir, key);
  return [image.disk, image.kernel, image.initrd].every((p) => existsSync(p)) ? image : undefined;
}

/** Host variables the builder build keeps from the user's: mirrors and proxies, nothing that shapes images. */
const BUILDER_ENV = /^(DIB_DISTRIBUTION_MIRROR|DIB_DEBIAN_DISTRIBUTION_MIRROR|DIB_DEBIAN_SECURITY_MIRROR|http_proxy|https_proxy|no_proxy|HTTP_PROXY|HTTPS_PROXY|NO_PROXY|HOME|USER|SUDO_USER|XDG_CACHE_HOME|PATH)$/;

/** The request that builds the builder of `key` into a partial folder of `request`'s cache (its log beside the final folder). */
function builderRequest(request: BuildRequest, partialDir: string, logfile: string): BuildRequest {
  const env = Object.fromEntries(Object.entries(request.env).filter(([name]) => BUILDER_ENV.test(name)));
  return buildRequest('disk', BUILDER_FLAVOURS, {
    imageName: join(partialDir, 'disk'), types: ['qcow2'], rootLabel: BUILDER_ROOT_LABEL, imageCache: request.imageCache, logfile,
    ...(request.offline ? { offline: true } : {}),
  }, { ...env, KILN_BUILDER_NODE: process.execPath }, request.cwd);
}

/** How the builder build is run (the engine's executeBuild, passed in to keep the modules apart). */
export type BuildRunner = (plan: ResolvedBuild) => Promise<number>;

/** The builder image for `request`'s cache: found, or built now (which needs root once). */
export async function ensureBuilder(request: BuildRequest, build: BuildRunner, emit: EventSink, log: LogSink): Promise<BuilderImage> {
  const key = builderKey();
  const found = findBuilder(request.imageCache, key);
  if (found) {
    log.line('vm', `builder image ${found.dir}`);
    return found;
  }
  const image = builderImage(request.imageCache, key);
  emit({ type: 'info', message: `building the builder VM image for this kiln (once; kept in ${image.dir})` });
  await checkPrivilege(log).catch(() => {
    throw new KilnError(`this kiln's builder VM image is not in ${request.imageCache} yet, and making it needs root once (mounts, loop devices, chroot)`, {
      exitCode: 2,
      hint: `run one --vm build as root (or with kiln's sudo rules) with --image-cache ${request.imageCache}; every --vm build after it runs without root`,
    });
  });
  const partial = `${image.dir}.${process.pid}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    await build(await resolveBuild(builderRequest(request, partial, `${image.dir}.log`)));
    await rename(partial, image.dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another build made the same image meanwhile: use theirs.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } catch (error) {
    throw builderFailed(error, image.dir, partial);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  await removeOtherBuilders(request.imageCache, key, log);
  const built = findBuilder(request.imageCache, key);
  if (!built) throw new KilnError(`the builder VM image build finished but ${image.dir} lacks its kernel or disk`, { hint: 'see the builder build log above' });
  return built;
}

function builderFailed(error: unknown, dir: string, partial: string): unknown {
  if (!(error instanceof KilnError)) return error;
  const wrapped = new KilnError(`could not build the builder VM image (${dir}): ${error.message}`, {
    exitCode: error.exitCode,
    hint: error.hint ?? 'the builder image is built once per kiln version, as root (or with kiln\'s sudo rules); see its log',
  });
  const details = error.details().map((line) => line.replaceAll(partial, `${dir} (removed)`));
  wrapped.details = () => details;
  return wrapped;
}

/** Builders of other kiln versions are of no use any more (a running VM keeps its open files). */
async function removeOtherBuilders(cacheDir: string, key: string, log: LogSink): Promise<void> {
  const dir = join(cacheDir, 'vm');
  for (const name of readdirSync(dir)) {
    if (/^builder-[0-9a-f]+(\.log)?$/.test(name) && !name.startsWith(`builder-${key}`)) {
      await rm(join(dir, name), { recursive: true, force: true });
      log.line('vm', `removed the builder image of another kiln: ${join(dir, name)}`);
    }
  }
}
