// disk-image-get-kernel's work: the newest kernel of a disk image and its initrd, copied out as
// DIR/PREFIX-vmlinuz and DIR/PREFIX-initrd (world-readable, as DIB's did) for PXE boot. Each
// filesystem of the image is mounted read-only in turn until one has a kernel in /boot (or at
// its top, for a separate /boot partition); everything is released before returning.
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UsageError } from '../errors.js';
import type { LogSink } from '../log.js';
import { writeAtomically } from '../outputs/partial.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { resolveInRoot } from '../resources/safe-path.js';
import { selectKernel, type BootKernel } from '../ramdisk/kernel-select.js';
import { copyReadable } from '../ramdisk/staging.js';
import { mountVolume } from './mount-volume.js';
import { openImage, type Volume } from './open-image.js';

/** What to extract. */
export interface GetKernelRequest {
  image: string;
  outDir: string;
  prefix: string;
  log: LogSink;
  signal?: AbortSignal | undefined;
  /** The caller's resources (released by the caller as well, if this is interrupted). */
  stack: ResourceStack;
  /** Folder for temporary files (a qcow2's raw conversion). */
  tmpParent?: string | undefined;
}

/** What was written. */
export interface ExtractedKernel {
  version: string;
  kernel: string;
  initrd: string;
  /** Where it was found (`partition 1`). */
  volume: string;
}

/** Kernel files in a mounted volume: in boot/, or at the top when the volume is a /boot. */
function bootFolder(mountPoint: string): { dir: string; names: string[] } {
  for (const dir of [join(mountPoint, 'boot'), mountPoint]) {
    try {
      if (!statSync(dir).isDirectory()) continue;
      const names = readdirSync(dir);
      if (names.some((n) => /^vmlinu[xz]-/.test(n))) return { dir, names };
    } catch {
      // not there or not readable: try the next place
    }
  }
  return { dir: join(mountPoint, 'boot'), names: [] };
}

/**
 * The host path of a file of the image, resolved inside the mounted volume (a link to
 * /etc/shadow means the image's own /etc/shadow, never the host's); it must be a regular file.
 */
function fileInVolume(image: string, mountPoint: string, path: string): string {
  const host = resolveInRoot(mountPoint, path);
  let isFile = false;
  try {
    isFile = lstatSync(host).isFile();
  } catch {
    isFile = false;
  }
  if (!isFile) {
    throw new UsageError(`${image}: /${path} is not a regular file in the image (it leads to /${relative(mountPoint, host)})`, 'the kernel and initrd must be files inside the image; links may only point at files inside it');
  }
  return host;
}

/** Looks for a kernel in one volume; copies it out when found. */
async function tryVolume(request: GetKernelRequest, raw: string, volume: Volume): Promise<ExtractedKernel | BootKernel | undefined> {
  await using local = new ResourceStack();
  request.stack.defer(`release ${volume.label} of ${request.image}`, () => local.disposeAsync());
  const mountPoint = await mountVolume(local, raw, volume, request.log, request.signal);
  request.signal?.throwIfAborted();
  const { dir, names } = bootFolder(mountPoint);
  const found = selectKernel(names);
  if (!found?.initrd) return found;
  const kernel = join(request.outDir, `${request.prefix}-vmlinuz`);
  const initrd = join(request.outDir, `${request.prefix}-initrd`);
  const kernelFile = fileInVolume(request.image, mountPoint, join(relative(mountPoint, dir), found.kernel));
  const initrdFile = fileInVolume(request.image, mountPoint, join(relative(mountPoint, dir), found.initrd));
  await writeAtomically(kernel, (partial) => copyReadable(kernelFile, partial, 0o644, request.log), { log: request.log });
  await writeAtomically(initrd, (partial) => copyReadable(initrdFile, partial, 0o644, request.log), { log: request.log });
  return { version: found.version, kernel, initrd, volume: volume.label };
}

/** Extracts the newest kernel and its initrd of `request.image`. */
export async function getKernel(request: GetKernelRequest): Promise<ExtractedKernel> {
  const opened = await openImage(request.stack, request.image, request);
  if (opened.kind.kind === 'tarball') {
    throw new UsageError(`${request.image} is a tar archive, not a disk image`, 'unpack it and take the kernel from its boot/ folder');
  }
  if (!opened.volumes.length) {
    throw new UsageError(`${request.image} has no ext4, XFS or btrfs filesystem that kiln can read`, 'give a Linux disk image (raw or qcow2)');
  }
  let kernelOnly: BootKernel | undefined;
  for (const volume of opened.volumes) {
    const result = await tryVolume(request, opened.raw, volume);
    if (result && 'volume' in result) return result;
    kernelOnly ??= result;
  }
  if (kernelOnly) {
    throw new UsageError(`${request.image} has kernel ${kernelOnly.kernel} but no initrd for it (initrd.img-${kernelOnly.version} or initramfs-${kernelOnly.version}.img)`, 'build the image with an initramfs generator (initramfs-tools, dracut)');
  }
  const where = opened.volumes.map((v) => v.label).join(', ');
  throw new UsageError(`${request.image} holds no kernel: no boot/vmlinuz-VERSION in ${where}`, 'is this the image of an installed system? disk images built with the vm flavour have one');
}
