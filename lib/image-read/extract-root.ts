// The cloud-image flavour's root.d: the root filesystem of an existing image, copied into the
// build root. A container image (OCI layout, OCI or docker archive) has its layers applied; a
// tarball is unpacked; a raw or qcow2 disk has each filesystem mounted read-only in turn until
// one holds an operating system (etc/os-release), which is copied with owners, modes, links, hard
// links and extended attributes (file capabilities). Other filesystems its fstab mounts (a
// separate /boot, /var) are reported, not merged.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { mountVolume } from './mount-volume.js';
import { containerSource, unpackContainerImage, type ContainerSource } from './container-image.js';
import { detectImage } from './detect.js';
import { openImage, readHead, type Volume } from './open-image.js';

/** What to unpack where. */
export interface ExtractRootRequest {
  image: string;
  /** The build root (TARGET_ROOT); it must exist. */
  target: string;
  log: LogSink;
  signal?: AbortSignal | undefined;
  stack: ResourceStack;
  tmpParent?: string | undefined;
  /** Debian architecture of the build: the platform picked from a multi-platform container image. */
  arch?: string | undefined;
  /** The image inside a container layout or archive that holds several. */
  containerTag?: string | undefined;
}

/** What was unpacked. */
export interface ExtractedRoot {
  /** `tarball`, or the volume (`partition 3`). */
  from: string;
  warnings: string[];
}

/** The tar argv that unpacks a (compressed) root tarball with everything it records (pure). */
export function untarArgv(image: string, target: string): string[] {
  return ['tar', '--extract', '--file', image, '--directory', target, '--preserve-permissions', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls'];
}

/** The cp argv that copies a mounted root into the target (pure). */
export function copyRootArgv(mountPoint: string, target: string): string[] {
  return ['cp', '--archive', '--one-file-system', '--sparse=always', `${mountPoint}/.`, `${target}/`];
}

/** Mount points other than / that an fstab lists for real filesystems (pure). */
export function otherMounts(fstab: string): string[] {
  return fstab
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim().split(/\s+/))
    .filter((f) => f.length >= 3 && f[1] !== '/' && f[1]!.startsWith('/') && !['swap', 'proc', 'sysfs', 'tmpfs', 'devpts', 'vfat', 'none'].includes(f[2]!))
    .map((f) => f[1]!);
}

/** Copies the volume's tree if it holds an operating system; returns undefined if it does not. */
async function tryVolume(request: ExtractRootRequest, raw: string, volume: Volume): Promise<ExtractedRoot | undefined> {
  await using local = new ResourceStack();
  request.stack.defer(`release ${volume.label} of ${request.image}`, () => local.disposeAsync());
  const mountPoint = await mountVolume(local, raw, volume, request.log, request.signal);
  if (!existsSync(join(mountPoint, 'etc/os-release')) && !existsSync(join(mountPoint, 'usr/lib/os-release'))) return undefined;
  request.signal?.throwIfAborted();
  await run(copyRootArgv(mountPoint, request.target), { privileged: true, log: request.log, signal: request.signal, what: `copying the root filesystem of ${request.image}` });
  const fstab = join(mountPoint, 'etc/fstab');
  const others = existsSync(fstab) ? otherMounts(readFileSync(fstab, 'utf8')) : [];
  const warnings = others.map((m) => `${request.image}: the image mounts ${m} from another filesystem; only its root filesystem (${volume.label}) was copied`);
  return { from: volume.label, warnings };
}

/** The container image at `image`, if it is one (an OCI layout folder, an OCI or docker archive). */
async function findContainer(request: ExtractRootRequest): Promise<ContainerSource | undefined> {
  const isFolder = statSync(request.image).isDirectory();
  const kind = isFolder ? undefined : detectImage(await readHead(request.image));
  const isTar = kind?.kind === 'tarball' && kind.compression === 'none';
  return containerSource(request.image, isTar, request.log, request.signal);
}

/** Fails unless the unpacked root holds an operating system (etc/os-release). */
function checkOperatingSystem(request: ExtractRootRequest, what: string): void {
  if (existsSync(join(request.target, 'etc/os-release')) || existsSync(join(request.target, 'usr/lib/os-release'))) return;
  const compressedArchive = existsSync(join(request.target, 'manifest.json')) || existsSync(join(request.target, 'oci-layout'));
  throw new UsageError(
    `${request.image} holds no operating system: no etc/os-release in the ${what}`,
    compressedArchive ? 'it is a compressed container archive: decompress it first (e.g. gunzip), kiln reads docker and OCI archives as plain tar'
      : 'give the image of an installed system (raw, qcow2), a root tarball or a container image',
  );
}

/** Unpacks the root filesystem of `request.image` into `request.target`. */
export async function extractRoot(request: ExtractRootRequest): Promise<ExtractedRoot> {
  const container = await findContainer(request);
  if (container) {
    await unpackContainerImage({ ...request, source: container, tag: request.containerTag, arch: request.arch ?? 'amd64' });
    checkOperatingSystem(request, 'container image');
    return { from: `${container.transport} container image`, warnings: [] };
  }
  const opened = await openImage(request.stack, request.image, request);
  if (opened.kind.kind === 'tarball') {
    await run(untarArgv(request.image, request.target), { privileged: true, log: request.log, signal: request.signal, what: `unpacking ${request.image}` });
    checkOperatingSystem(request, 'tarball');
    return { from: 'tarball', warnings: [] };
  }
  for (const volume of opened.volumes) {
    const result = await tryVolume(request, opened.raw, volume);
    if (result) return result;
  }
  const where = opened.volumes.map((v) => v.label).join(', ') || 'no readable filesystem';
  throw new UsageError(`${request.image} holds no operating system: no etc/os-release in ${where}`, 'give the image of an installed system (raw, qcow2) or a root tarball');
}
