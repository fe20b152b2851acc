// Rules kiln adds to DIB's node checks, because it builds exactly one bootable disk: one
// local_loop, at most one partition table on it, filesystems on partitions (or on the bare
// disk when there is no table), mounts on filesystems, fstab entries on mounts, and a
// filesystem mounted at /. DIB would fail later (or write a broken image) on these. Pure.
import { ConfigError } from '../errors.js';
import type { BlockDeviceConfig, LoopNode, Origin, PartitioningNode } from './types.js';
import { where } from './yaml-tree.js';

function fail(origin: Origin, message: string, hint?: string): never {
  throw new ConfigError(message, where(origin.source, origin.line), hint);
}

/** Throws a ConfigError for the first structural problem of `config`. */
export function checkStructure(config: BlockDeviceConfig, loops: LoopNode[], tables: PartitioningNode[]): void {
  if (loops.length > 1) fail(loops[1]!.origin, `local_loop "${loops[1]!.name}": kiln builds one disk image; only one local_loop is supported`);
  checkTables(config.loop, tables);
  checkLvm(config);
  checkFilesystems(config);
  checkMounts(config);
  checkFstab(config);
}

function checkTables(loop: LoopNode, tables: PartitioningNode[]): void {
  if (tables.length > 1) fail(tables[1]!.origin, `partitioning "${tables[1]!.name}": only one partition table is supported`);
  const table = tables[0];
  if (table && table.base !== loop.name) {
    fail(table.origin, `partitioning "${table.name}": base "${table.base}" must be the local_loop "${loop.name}"`);
  }
}

/** One lvm node, its physical volumes on partitions, and no partition holding both a PV and a filesystem. */
function checkLvm(config: BlockDeviceConfig): void {
  const [lvm, second] = config.lvm;
  if (second) fail(second.origin, `lvm "${second.name}": only one lvm node is supported; put all volumes in one`);
  if (!lvm) return;
  const partitions = new Set(config.partitioning?.partitions.map((p) => p.name) ?? []);
  for (const pv of lvm.pvs) {
    if (!partitions.has(pv.base)) fail(lvm.origin, `lvm "${lvm.name}": pv "${pv.name}" is on "${pv.base}", which is not a partition`);
    const fs = config.filesystems.find((f) => f.base === pv.base);
    if (fs) fail(fs.origin, `mkfs "${fs.name}": partition "${pv.base}" is the physical volume "${pv.name}"; make the filesystem on a logical volume`);
  }
}

function checkFilesystems(config: BlockDeviceConfig): void {
  const partitions = new Set(config.partitioning?.partitions.map((p) => p.name) ?? []);
  const volumes = new Set(config.lvm.flatMap((l) => l.lvs.filter((lv) => lv.type !== 'thin-pool').map((lv) => lv.name)));
  const used = new Map<string, string>();
  for (const fs of config.filesystems) {
    const at = `mkfs "${fs.name}"`;
    if (fs.base === config.loop.name && config.partitioning) {
      fail(fs.origin, `${at}: "${fs.base}" has a partition table; make the filesystem on one of its partitions`);
    }
    if (fs.base !== config.loop.name && !partitions.has(fs.base) && !volumes.has(fs.base)) {
      fail(fs.origin, `${at}: base "${fs.base}" is not a partition, a logical volume or the local_loop`);
    }
    const other = used.get(fs.base);
    if (other) fail(fs.origin, `${at}: "${fs.base}" already holds the filesystem of mkfs "${other}"`);
    used.set(fs.base, fs.name);
  }
}

function checkMounts(config: BlockDeviceConfig): void {
  const mounted = new Map<string, string>();
  for (const mount of config.mounts) {
    const fs = config.filesystems.find((f) => f.name === mount.base);
    if (!fs) fail(mount.origin, `mount "${mount.name}": base "${mount.base}" is not a mkfs node`);
    if (mounted.has(fs.name)) fail(mount.origin, `mount "${mount.name}": mkfs "${fs.name}" is already mounted by mount "${mounted.get(fs.name)}"`);
    mounted.set(fs.name, mount.name);
    if (fs.type !== 'swap' && mount.mountPoint === 'none') fail(mount.origin, `mount "${mount.name}": only swap can have mount point none`);
    if (fs.type === 'vfat' && mount.mountPoint === '/') fail(mount.origin, `mount "${mount.name}": the root filesystem cannot be vfat`);
  }
  const root = config.mounts.find((m) => m.mountPoint === '/');
  if (!root || config.filesystems.find((f) => f.name === root.base)?.type === 'swap') {
    throw new ConfigError('no filesystem is mounted at /', config.source, 'add a mount node with "mount_point: /"');
  }
  checkNothingBelowVfat(config);
}

/** FAT filesystems are staged as plain folders (no vfat driver), so nothing can be mounted inside one. */
function checkNothingBelowVfat(config: BlockDeviceConfig): void {
  for (const vfat of config.mounts.filter((m) => config.filesystems.find((f) => f.name === m.base)?.type === 'vfat')) {
    const inside = config.mounts.find((m) => m.mountPoint.startsWith(`${vfat.mountPoint}/`));
    if (inside) fail(inside.origin, `mount "${inside.name}": ${inside.mountPoint} lies inside the vfat filesystem at ${vfat.mountPoint}`);
  }
}

function checkFstab(config: BlockDeviceConfig): void {
  const seen = new Map<string, string>();
  for (const entry of config.fstab) {
    if (!config.mounts.some((m) => m.name === entry.base)) fail(entry.origin, `fstab "${entry.name}": base "${entry.base}" is not a mount node`);
    if (seen.has(entry.base)) fail(entry.origin, `fstab "${entry.name}": mount "${entry.base}" already has fstab "${seen.get(entry.base)}"`);
    seen.set(entry.base, entry.name);
  }
}
