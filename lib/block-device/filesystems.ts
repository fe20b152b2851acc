// Filesystem rules: label limits, UUID formats and the mkfs command line for each type, after
// DIB's level2/mkfs.py (label flag -n for vfat, -L otherwise; UUID via -U for ext*/swap and
// -m uuid= for xfs; -q for ext*/xfs; the device last). kiln also sets the UUID of btrfs (-U)
// and the volume id of vfat (-i), so every fstab line can use UUID=. Pure.
import type { FsType } from './types.js';

/** Longest label each filesystem accepts (DIB's table, plus btrfs). */
export const LABEL_MAX: Readonly<Record<FsType, number>> = {
  ext2: 16, ext3: 16, ext4: 16, xfs: 12, vfat: 11, swap: 16, btrfs: 255,
};

/** The program that makes each filesystem type. */
const MKFS_PROGRAM: Readonly<Record<FsType, string>> = {
  ext2: 'mkfs.ext2', ext3: 'mkfs.ext3', ext4: 'mkfs.ext4', xfs: 'mkfs.xfs', btrfs: 'mkfs.btrfs', vfat: 'mkfs.vfat', swap: 'mkswap',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const VOLUME_ID = /^([0-9A-F]{4})-?([0-9A-F]{4})$/;

/** The canonical form of a user-given UUID (vfat: volume id `ABCD-1234`), or undefined if invalid. */
export function normaliseUuid(type: FsType, text: string): string | undefined {
  if (type === 'vfat') {
    const match = VOLUME_ID.exec(text.trim().toUpperCase());
    return match ? `${match[1]}-${match[2]}` : undefined;
  }
  const lower = text.trim().toLowerCase();
  return UUID.test(lower) ? lower : undefined;
}

/** How a filesystem UUID is written for `type`, for hints. */
export function uuidFormat(type: FsType): string {
  return type === 'vfat' ? 'a FAT volume id such as 1A2B-3C4D' : 'a UUID such as 0f3c2a61-7d1e-4c55-9a43-1b2c3d4e5f60';
}

/** Turns 16 random bytes into an RFC 4122 version 4 UUID (or a vfat volume id). */
export function uuidFromBytes(type: FsType, bytes: Uint8Array): string {
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (type === 'vfat') return `${hex.slice(0, 4)}-${hex.slice(4, 8)}`.toUpperCase();
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The label as written to the filesystem: FAT labels are upper case (DIB does the same). */
export function effectiveLabel(type: FsType, label: string): string {
  return type === 'vfat' ? label.toUpperCase() : label;
}

/** mkfs argv for a filesystem, without the device (the executor appends it). */
export function mkfsCommand(fs: { type: FsType; label: string; uuid: string; opts: readonly string[] }): string[] {
  const argv = [MKFS_PROGRAM[fs.type], ...(fs.type === 'swap' ? [] : fs.opts)];
  argv.push(fs.type === 'vfat' ? '-n' : '-L', fs.label);
  if (fs.type === 'xfs') argv.push('-m', `uuid=${fs.uuid}`);
  else if (fs.type === 'vfat') argv.push('-i', fs.uuid.replace('-', ''));
  else argv.push('-U', fs.uuid);
  if (['ext2', 'ext3', 'ext4', 'xfs', 'btrfs'].includes(fs.type)) argv.push('-q');
  if (fs.type === 'swap') argv.push(...fs.opts);
  return argv;
}
