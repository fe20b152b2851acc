// Why a device must not be written (pure): it is read-only, mounted (itself or a partition), used
// as swap, held by device-mapper, RAID or bcache, carries an LVM, RAID or ZFS member signature,
// is smaller than the image's disk, or has sectors of another size than the image's partition
// table. Every reason found is listed, each naming the device or partition and what was found.
import { formatBytes } from '../config/size.js';
import type { MountEntry } from '../resources/mount.js';
import type { DeviceFacts } from './device.js';

/** A signature blkid found on the disk or in one of its partitions. */
export interface Signature {
  /** `/dev/sdb` or `/dev/sdb2` (partitions by the number in the on-disk table). */
  where: string;
  /** blkid TYPE (`ext4`, `LVM2_member`, `linux_raid_member`, ...). */
  type: string;
}

/** What else the machine says about the device. */
export interface UsageFacts {
  mounts: readonly MountEntry[];
  /** Real paths of the active swap areas (/proc/swaps). */
  swaps: readonly string[];
  signatures: readonly Signature[];
}

/** What the image needs from the device. */
export interface ImageNeeds {
  virtualSize: number;
  /** The image has a partition table (its sector size must be the device's). */
  partitioned: boolean;
}

const MEMBER_TYPES: Record<string, string> = {
  LVM2_member: 'an LVM physical volume',
  linux_raid_member: 'a member of a Linux RAID (md) array',
  isw_raid_member: 'a member of an Intel firmware RAID array',
  ddf_raid_member: 'a member of a DDF firmware RAID array',
  zfs_member: 'a member of a ZFS pool',
  bcache: 'a bcache device',
};

/** `1.5 GiB (1610612736 bytes)`. */
export function describeSize(bytes: number): string {
  return `${formatBytes(bytes)} (${bytes} bytes)`;
}

/** The swap areas' paths from /proc/swaps. */
export function parseSwaps(text: string): string[] {
  return text.split('\n').slice(1).map((line) => line.split(/\s+/)[0] ?? '').filter(Boolean)
    .map((path) => path.replace(/\\040/g, ' '));
}

function inUse(device: DeviceFacts, use: UsageFacts): string[] {
  const nodes = [{ name: device.name, device: device.device }, ...device.partitions.map((p) => ({ name: p.name, device: p.device }))];
  const reasons: string[] = [];
  for (const node of nodes) {
    const path = `/dev/${node.name}`;
    for (const m of use.mounts.filter((m) => m.device === node.device || m.source === path)) reasons.push(`${path} is mounted at ${m.point}`);
    if (use.swaps.includes(path)) reasons.push(`${path} is in use as swap`);
  }
  for (const h of device.holders) reasons.push(`/dev/${h.held} is held by /dev/${h.name}${h.what ? ` (${h.what})` : ''}`);
  for (const s of use.signatures) {
    const member = MEMBER_TYPES[s.type];
    if (member) reasons.push(`${s.where} is ${member} (${s.type} signature)`);
  }
  return reasons;
}

/** Every reason not to write `image` to `device`; empty when it may be written. */
export function refusals(device: DeviceFacts, use: UsageFacts, image: ImageNeeds): string[] {
  const reasons = device.readOnly ? [`${device.path} is read-only`] : [];
  reasons.push(...inUse(device, use));
  if (device.size < image.virtualSize) {
    reasons.push(`${device.path} is too small: ${describeSize(device.size)}, the image's disk is ${describeSize(image.virtualSize)}`);
  }
  if (image.partitioned && device.logicalBlockSize !== 512) {
    reasons.push(`${device.path} has ${device.logicalBlockSize}-byte sectors; the image's partition table counts 512-byte sectors and would not be found`);
  }
  return reasons;
}
