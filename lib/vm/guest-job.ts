// What the build VM gets from the host (pure): the shares and the job. The build inside is the
// host's build: flavour folders are mounted at their host paths and the host files flavours
// declare in cache-inputs are bound at theirs, so the plan, the hooks' environment and the layer
// keys come out as on the host. Only what is the host's business is moved: the outputs go to a
// folder of the host's work folder (the host puts them in place afterwards), the cache is the
// host's read-only one below a writable overlay, the log is streamed to the host, and the outputs
// leave by a disk of their own (output-transport.ts).
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { BuildRequest, FilesystemImagesRequest } from '../config/build-request.js';
import type { BuildPlan } from '../plan/build-plan.js';
import type { Share } from './machine.js';
import type { GuestFile, GuestJob, GuestMount } from './protocol.js';

/** Guest paths of kiln's own mounts. */
export const GUEST = {
  /** Where the build writes its outputs: the scratch disk. They go to the transport disk once the
   * build has finished (qemu-img writing a qcow2 straight onto 9p costs a round trip per cluster:
   * minutes under emulation). */
  staged: '/kiln/work/out',
  cache: '/kiln/cache',
  cacheLower: '/kiln/cache-lower',
  cacheExport: '/kiln/cache-export',
  inputs: '/kiln/inputs',
  work: '/kiln/work',
  log: '/kiln/work/build.log',
  workDevice: '/dev/vdb',
  transportDevice: '/dev/vdc',
} as const;

/** Host folders the job needs. */
export interface HostFolders {
  /** Folder inside the cache the guest copies new cache files to; undefined when the cache is read-only. */
  incomingDir: string | undefined;
  /** Host files the build reads (cache-inputs, a file:// block-device config), absolute. */
  inputFiles: string[];
  /** Folders holding flavours (the search path, and where linked flavours really are), absolute. */
  flavourDirs: string[];
  /** kiln's built-in flavours folder. */
  builtInFlavours: string;
}

/** The guest's view of `request`: outputs, cache and log moved to kiln's guest folders. */
export function guestRequest(request: BuildRequest): BuildRequest {
  return {
    ...request,
    imageName: join(GUEST.staged, basename(request.imageName)),
    imageCache: GUEST.cache,
    logfile: GUEST.log,
    bootTest: false,
    vm: false,
    // The host trims its cache once it has taken in what the guest made; a trim in the guest
    // would only hide the host's entries behind whiteouts that never cross.
    cacheMaxBytes: 0,
    ...(request.filesystemImages ? { filesystemImages: guestFilesystemImages(request.filesystemImages) } : {}),
  };
}

/** The staged folder's subfolder for a spec's filesystem images and their metadata: one folder
 * each, as their host folders may differ (`kiln-fs-images/0/root.img.gz`, `.../metadata/...`). */
const FS_IMAGES = 'kiln-fs-images';

/** A spec's filesystem images written below the staged folder (same file names: they are in the output key). */
function guestFilesystemImages(images: FilesystemImagesRequest): FilesystemImagesRequest {
  return {
    ...images,
    images: images.images.map((image, index) => ({ ...image, path: join(GUEST.staged, FS_IMAGES, String(index), basename(image.path)) })),
    metadataPath: join(GUEST.staged, FS_IMAGES, 'metadata', basename(images.metadataPath)),
  };
}

/** Host folder of each guest folder an output can be in, most specific first (pure). */
function hostFolders(request: BuildRequest): [guest: string, host: string][] {
  const images = request.filesystemImages;
  const own: [string, string][] = images ? [
    ...images.images.map((image, index): [string, string] => [join(GUEST.staged, FS_IMAGES, String(index)), dirname(image.path)]),
    [join(GUEST.staged, FS_IMAGES, 'metadata'), dirname(images.metadataPath)],
  ] : [];
  return [...own, [GUEST.staged, dirname(request.imageName)]];
}

/** Where an output the guest handed back goes on the host (`name`: relative to the staged folder),
 * or undefined for a file in kiln's image folders that is no output of this request (pure). */
export function hostOutputPath(request: BuildRequest, name: string): string | undefined {
  const guestPath = join(GUEST.staged, name);
  if (name.split('/')[0] === FS_IMAGES) {
    const folder = hostFolders(request).find(([guest]) => dirname(guestPath) === guest);
    return folder ? join(folder[1], basename(name)) : undefined;
  }
  return join(dirname(request.imageName), name);
}

/** Folders in mount order: a folder before anything below it; duplicates and nested ones dropped. */
export function outermostFolders(dirs: readonly string[]): string[] {
  const sorted = [...new Set(dirs)].sort();
  return sorted.filter((dir) => !sorted.some((other) => other !== dir && dir.startsWith(`${other}/`)));
}

/** The shares and the job for a build of `plan` (pure). */
export function planGuestJob(plan: BuildPlan, host: HostFolders, options: { prepend: string[]; debug: boolean }): { shares: Share[]; job: GuestJob } {
  const shares: Share[] = [];
  const mounts: GuestMount[] = [];
  const share = (hostPath: string, target: string, readOnly: boolean): string => {
    const tag = `k${shares.length}`;
    shares.push({ tag, hostPath, readOnly });
    mounts.push({ tag, target, readOnly });
    return tag;
  };
  for (const dir of outermostFolders([...host.flavourDirs, host.builtInFlavours])) share(dir, dir, true);
  share(plan.request.imageCache, GUEST.cacheLower, true);
  if (host.incomingDir) share(host.incomingDir, GUEST.cacheExport, false);
  const files: GuestFile[] = [];
  const inputDirs = [...new Set(host.inputFiles.map((f) => dirname(f)))].sort();
  inputDirs.forEach((dir, index) => {
    const target = `${GUEST.inputs}/${index}`;
    share(dir, target, true);
    for (const file of host.inputFiles.filter((f) => dirname(f) === dir)) files.push({ source: join(target, basename(file)), target: file });
  });
  const job: GuestJob = {
    request: guestRequest(plan.request),
    builtInFlavours: host.builtInFlavours,
    prepend: options.prepend,
    mounts,
    files,
    cache: { lower: GUEST.cacheLower, target: GUEST.cache, exportTo: host.incomingDir ? GUEST.cacheExport : undefined },
    workDevice: GUEST.workDevice,
    workMount: GUEST.work,
    transportDevice: GUEST.transportDevice,
    debug: options.debug,
    ...(plan.sourceDate.explicit ? {} : { newestInput: plan.sourceDate }),
  };
  return { shares, job };
}

/** The file:// block-device config of a request, absolute, if there is one. */
export function blockDeviceConfigFile(request: BuildRequest): string | undefined {
  const value = request.env.DIB_BLOCK_DEVICE_CONFIG;
  if (!value?.startsWith('file://')) return undefined;
  const raw = value.slice('file://'.length);
  return isAbsolute(raw) ? raw : resolve(request.cwd, raw);
}

/** Host text with the guest's folders named as the host's (error messages, output paths). */
export function hostPathsIn(text: string, request: BuildRequest, hostLog: string): string {
  let host = text.replaceAll(GUEST.log, hostLog);
  for (const [guest, folder] of hostFolders(request)) host = host.replaceAll(`${guest}/`, `${folder}/`);
  return host.replaceAll(GUEST.cache, request.imageCache);
}
