// Step: one filesystem image per mount point (a spec's filesystemImages, Fuel's image_data),
// after cleanup.d. /etc/fstab is written first (every filesystem by the UUID it will get), then
// the tree is split by moving each mount point's content into a folder of its own (deepest
// first; the mount point stays, empty), each folder becomes a filesystem image sized to its
// content plus headroom, each image goes into its container under the name the spec gives it,
// and the metadata file is written last. Every file appears only when complete.
import { lstat, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FilesystemImagesRequest } from '../../config/build-request.js';
import { cryptoRandom } from '../../block-device/random.js';
import { run } from '../../exec/run.js';
import { writeContainer } from '../../fs-images/container.js';
import { makeFilesystemImage, type FolderOwner } from '../../fs-images/image.js';
import { imagesFstab, planFilesystems, splitOrder, type PlannedFilesystem } from '../../fs-images/layout.js';
import { imageRecord, installedPackages, metadataText, type ImageRecord } from '../../fs-images/metadata.js';
import { writeAtomically } from '../../outputs/partial.js';
import { writeChecksums } from '../../outputs/checksum.js';
import { imagePath, makeImageDir, makeRootDir, writeImageFile, type ImageTree } from '../../resources/root-files.js';
import type { LogSink } from '../../log.js';
import type { BuildContext } from '../context.js';
import { timed } from './timed.js';

/** Disk usage of a root-owned folder in bytes (du -x). */
export async function folderBytes(folder: string, log: LogSink): Promise<number> {
  const result = await run(['du', '-s', '-x', '-B1', folder], { privileged: true, log });
  return Number(result.stdout.trim().split(/\s+/)[0]);
}

/** One part of the split tree: the folder with a filesystem's content and the owner its root gets. */
export interface TreePart {
  folder: string;
  owner: FolderOwner;
}

/**
 * Moves the content of every mount point but "/" out of the image tree `root` into a folder of its
 * own below `parts` (deepest first, so /var/log leaves /var before /var does; the mount point
 * stays, empty); "/" is the rest of the tree. Returns the part of every mount point.
 */
export async function splitTree(root: string, parts: string, filesystems: readonly PlannedFilesystem[], log: LogSink): Promise<Map<string, TreePart>> {
  const tree: ImageTree = { root, log };
  await makeRootDir(parts, log);
  const split = new Map<string, TreePart>();
  for (const [index, fs] of splitOrder(filesystems).entries()) {
    const source = fs.mountPoint === '/' ? root : await makeImageDir(tree, fs.mountPoint);
    const { mode, uid, gid } = await lstat(source);
    if (fs.mountPoint === '/') {
      split.set(fs.mountPoint, { folder: source, owner: { mode, uid, gid } });
      continue;
    }
    const folder = join(parts, String(index));
    await makeRootDir(folder, log);
    await run(['find', source, '-mindepth', '1', '-maxdepth', '1', '-exec', 'mv', '-t', folder, '--', '{}', '+'], {
      privileged: true, log, what: `moving ${fs.mountPoint} out of the root tree`,
    });
    split.set(fs.mountPoint, { folder, owner: { mode, uid, gid } });
  }
  return split;
}

/** Packages installed in the image, by name, with their versions. */
async function imagePackages(ctx: BuildContext): Promise<Record<string, string>> {
  const status = imagePath({ root: ctx.paths.root }, '/var/lib/dpkg/status');
  return existsSync(status) ? installedPackages(await readFile(status, 'utf8')) : {};
}

/** Builds every image and its container, then the metadata file. */
export async function buildFilesystemImages(ctx: BuildContext, spec: FilesystemImagesRequest): Promise<void> {
  const { request } = ctx.plan;
  const filesystems = planFilesystems(spec.images, request.rootLabel, cryptoRandom);
  await writeImageFile({ root: ctx.paths.root, log: ctx.log }, '/etc/fstab', imagesFstab(filesystems));
  const allPackages = await imagePackages(ctx);
  const split = await timed(ctx, 'split the tree by mount point', () => splitTree(ctx.paths.root, join(ctx.paths.work, 'fs-parts'), filesystems, ctx.log));
  const records: ImageRecord[] = [];
  for (const [index, fs] of filesystems.entries()) {
    const { folder, owner } = split.get(fs.mountPoint)!;
    const image = join(ctx.paths.work, `fs-image-${index}.raw`);
    const contentBytes = await folderBytes(folder, ctx.log);
    await timed(ctx, `make the ${fs.format} filesystem of ${fs.mountPoint}`, () =>
      makeFilesystemImage({ fs, folder, owner, contentBytes, image, scratch: join(ctx.paths.work, `fs-mnt-${index}`), log: ctx.log, signal: ctx.signal }));
    const facts = await timed(ctx, `write ${basename(fs.path)} (${fs.container})`, () => writeContainer(image, fs.path, fs.container, ctx.log, ctx.signal));
    await rm(image, { force: true });
    if (request.checksum) await writeChecksums(fs.path, { log: ctx.log, signal: ctx.signal });
    records.push(imageRecord(fs, basename(fs.path), facts));
    ctx.emit({ type: 'output', format: `fs-image:${fs.mountPoint}`, path: fs.path, bytes: facts.containerSize });
  }
  const release = ctx.plan.environment.find((v) => v.name === 'DIB_RELEASE')?.value ?? '';
  const text = metadataText({
    os: { name: ctx.plan.environment.find((v) => v.name === 'DISTRO_NAME')?.value ?? '', codename: release, arch: request.arch },
    packages: request.packages, all_packages: allPackages,
    repos: spec.repos.map((r) => ({ ...r, type: r.type ?? 'deb', meta: null })),
    images: records,
    kiln: { inputs: ctx.plan.cache.outputKey ?? '' },
  });
  await writeAtomically(spec.metadataPath, (partial) => writeFile(partial, text), { log: ctx.log });
  ctx.emit({ type: 'output', format: 'fs-metadata', path: spec.metadataPath, bytes: Buffer.byteLength(text) });
}
