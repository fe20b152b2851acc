// The plan of a per-mount-point build's filesystems (Fuel's image-based provisioning): the order
// the tree is split in (deepest mount point first, so /var/log leaves /var before /var does), a
// UUID and a label for each filesystem, the /etc/fstab that mounts them by UUID, and the sizes
// of each image (made big enough for its content, then shrunk to it plus headroom). Pure.
import { posix } from 'node:path';
import type { FilesystemImageRequest } from '../config/build-request.js';
import { fstabText } from '../block-device/fstab.js';
import { LABEL_MAX, uuidFromBytes } from '../block-device/filesystems.js';
import type { RandomSource } from '../block-device/random.js';

/** One filesystem of the build, as planned. */
export interface PlannedFilesystem extends FilesystemImageRequest {
  uuid: string;
  label: string;
}

const MiB = 1024 * 1024;

const depth = (m: string): number => (m === '/' ? 0 : m.split('/').length);

/** Deepest mount points first: each part leaves the tree before its parent's does. */
export function splitOrder<T extends { mountPoint: string }>(images: readonly T[]): T[] {
  return [...images].sort((a, b) => depth(b.mountPoint) - depth(a.mountPoint) || a.mountPoint.localeCompare(b.mountPoint));
}

/** Parents first ("/", then /boot, /var, then /var/log): the order to mount them in. */
export function mountOrder<T extends { mountPoint: string }>(images: readonly T[]): T[] {
  return [...images].sort((a, b) => depth(a.mountPoint) - depth(b.mountPoint) || a.mountPoint.localeCompare(b.mountPoint));
}

/** The label of a filesystem: the root label for "/", else the mount point's last name (cut to the format's limit). */
export function filesystemLabel(image: FilesystemImageRequest, rootLabel: string | undefined): string {
  const max = LABEL_MAX[image.format];
  if (image.mountPoint === '/') return (rootLabel ?? (image.format === 'xfs' ? 'img-rootfs' : 'cloudimg-rootfs')).slice(0, max);
  return posix.basename(image.mountPoint).slice(0, max);
}

/** UUIDs and labels for every image, in the request's order. */
export function planFilesystems(images: readonly FilesystemImageRequest[], rootLabel: string | undefined, random: RandomSource): PlannedFilesystem[] {
  return images.map((image) => ({ ...image, uuid: uuidFromBytes(image.format, random.bytes(16)), label: filesystemLabel(image, rootLabel) }));
}

/** /etc/fstab of the image: every filesystem by UUID, parents before children; "/" is checked first. */
export function imagesFstab(filesystems: readonly PlannedFilesystem[]): string {
  const ordered = mountOrder(filesystems);
  const lines = ordered.map((f) => ({
    uuid: f.uuid,
    mountPoint: f.mountPoint,
    type: f.format,
    options: f.mountPoint === '/' ? 'defaults,errors=remount-ro' : 'defaults',
    dumpFreq: 0,
    // fsck.xfs does nothing; ext filesystems are checked, the root first.
    fsckPassno: f.format === 'xfs' ? 0 : f.mountPoint === '/' ? 1 : 2,
  }));
  return `# Written by kiln: one filesystem image per mount point, each found by UUID.\n${fstabText(lines)}`;
}

/** Size of the file mkfs fills: the content plus a quarter and 64 MiB, at least 300 MiB for xfs; whole MiB. */
export function initialImageBytes(contentBytes: number, format: FilesystemImageRequest['format']): number {
  const bytes = Math.ceil((contentBytes * 1.25 + 64 * MiB) / MiB) * MiB;
  return format === 'xfs' ? Math.max(bytes, 300 * MiB) : bytes;
}

/** The size an ext image is shrunk to: what it uses plus a twentieth and 16 MiB of free space, but
 * never below the smallest size resize2fs can shrink it to; whole MiB. */
export function shrunkImageBytes(usedBlocks: number, minimumBlocks: number, blockSize: number): number {
  const wanted = usedBlocks * blockSize * 1.05 + 16 * MiB;
  return Math.ceil(Math.max(wanted, minimumBlocks * blockSize) / MiB) * MiB;
}
