// planDiskLayout(): a validated config and a disk size → the complete DiskLayout: partition
// places and the sfdisk script, the filesystems with their UUIDs and mkfs command lines, the
// mount order and the image's fstab. Randomness (disk ids, UUIDs) comes from the caller so the
// result is repeatable in tests. Pure.
import { sortMounts } from './config.js';
import { fstabText, type FstabLine } from './fstab.js';
import { placeGptPartitions } from './gpt.js';
import { MIB, SECTOR, type DiskLayout, type PartitionTable, type PlannedFilesystem, type PlannedMount } from './layout-types.js';
import { placeMbrPartitions } from './mbr.js';
import { mkfsCommand, uuidFromBytes } from './filesystems.js';
import type { RandomSource } from './random.js';
import { sfdiskScript } from './sfdisk-script.js';
import type { BlockDeviceConfig, FsType, MkfsNode, PartitioningNode } from './types.js';
import { where } from './yaml-tree.js';
import { ConfigError } from '../errors.js';
import { formatBytes } from '../config/size.js';

/** How the disk's filesystems can be reached where it is built. */
export interface LayoutOptions {
  /** The kernel can mount FAT (kiln's build VM): no staging of vfat content as folders. */
  mountVfat?: boolean;
}

/** Plans the disk for `config`; `imageSizeBytes` is used unless the local_loop fixes a size. */
export function planDiskLayout(config: BlockDeviceConfig, imageSizeBytes: number, random: RandomSource, options: LayoutOptions = {}): DiskLayout {
  const requested = config.loop.sizeBytes ?? imageSizeBytes;
  const sizeBytes = Math.ceil(requested / SECTOR) * SECTOR;
  const table = config.partitioning ? planTable(config.partitioning, sizeBytes, random) : undefined;
  const filesystems = planFilesystems(config, random);
  for (const fs of config.filesystems) checkJournalFits(fs, deviceBytes(fs.base, table, sizeBytes));
  const byName = new Map(filesystems.map((fs) => [fs.name, fs]));
  const mounts: PlannedMount[] = sortMounts(config.mounts)
    .map((m) => ({ mountPoint: m.mountPoint, filesystem: m.base, type: byName.get(m.base)!.type }))
    .filter((m) => m.type !== 'swap')
    .map((m) => ({ ...m, staged: m.type === 'vfat' && !options.mountVfat }));
  const rootMount = mounts.find((m) => m.mountPoint === '/')!;
  const root = byName.get(rootMount.filesystem)!;
  const boot = mounts.find((m) => m.mountPoint === '/boot');
  return {
    imageName: config.loop.name, directory: config.loop.directory, sizeBytes, table, filesystems, mounts,
    fstab: fstabText(fstabLines(config, byName)),
    root: { filesystem: root.name, type: root.type, label: root.label, uuid: root.uuid },
    bootLabel: boot ? byName.get(boot.filesystem)!.label : undefined,
    lvm: config.lvm[0],
  };
}

function deviceBytes(node: string, table: PartitionTable | undefined, diskBytes: number): number {
  const partition = table?.partitions.find((p) => p.name === node);
  return partition ? partition.sizeSectors * SECTOR : diskBytes;
}

/** mke2fs refuses a journal bigger than half the free blocks; catch the sure cases before the build. */
function checkJournalFits(fs: MkfsNode, bytes: number): void {
  const index = fs.opts.indexOf('-J');
  const size = index >= 0 ? /(?:^|,)size=(\d+)/.exec(fs.opts[index + 1] ?? '')?.[1] : undefined;
  if (size === undefined || Number(size) * 2 * MIB <= bytes) return;
  throw new ConfigError(
    `mkfs "${fs.name}": its ${size} MiB journal needs a filesystem of more than ${Number(size) * 2} MiB, but it gets ${formatBytes(bytes)}`,
    where(fs.origin.source, fs.origin.line),
    'make the image bigger (--image-size) or the journal smaller (--mkfs-journal-size, DIB_JOURNAL_SIZE)',
  );
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function planTable(node: PartitioningNode, sizeBytes: number, random: RandomSource): PartitionTable {
  if (node.label === 'mbr') {
    const { partitions, extended } = placeMbrPartitions(node, sizeBytes);
    // A zero disk id means "none" to some tools; DIB's random id is never checked, kiln's is.
    const id = `0x${hex(random.bytes(4)).replace(/^00000000$/, '00000001')}`;
    return { label: 'mbr', id, partitions, extended, script: sfdiskScript({ label: 'mbr', id, partitions, extended }) };
  }
  const guid = (): string => uuidFromBytes('ext4', random.bytes(16)).toUpperCase();
  const id = guid();
  const partitions = placeGptPartitions(node, sizeBytes, guid);
  return { label: 'gpt', id, partitions, extended: undefined, script: sfdiskScript({ label: 'gpt', id, partitions, extended: undefined }) };
}

function planFilesystems(config: BlockDeviceConfig, random: RandomSource): PlannedFilesystem[] {
  const order = new Map(config.callOrder.map((name, index) => [name, index]));
  return [...config.filesystems]
    .sort((a, b) => order.get(a.name)! - order.get(b.name)!)
    .map((fs) => {
      const uuid = fs.uuid ?? uuidFromBytes(fs.type, random.bytes(16));
      return { name: fs.name, device: fs.base, type: fs.type, label: fs.label, uuid, mkfs: mkfsCommand({ ...fs, uuid }) };
    });
}

function fstabLines(config: BlockDeviceConfig, filesystems: Map<string, PlannedFilesystem>): FstabLine[] {
  const lines = sortMounts(config.mounts).flatMap((mount): FstabLine[] => {
    const entry = config.fstab.find((f) => f.base === mount.name);
    const fs = filesystems.get(mount.base)!;
    if (!entry) return [];
    if (fs.type === 'swap') return [{ uuid: fs.uuid, mountPoint: 'none', type: 'swap', options: 'sw', dumpFreq: 0, fsckPassno: 0 }];
    return [{ uuid: fs.uuid, mountPoint: mount.mountPoint, type: fs.type, options: entry.options, dumpFreq: entry.dumpFreq, fsckPassno: entry.fsckPassno }];
  });
  return [...lines.filter((l) => l.type !== 'swap'), ...lines.filter((l) => l.type === 'swap')];
}

/** The root filesystem type of a config (the filesystem mounted at /), for sizing. */
export function rootFsType(config: BlockDeviceConfig): FsType | undefined {
  const mount = config.mounts.find((m) => m.mountPoint === '/');
  return config.filesystems.find((f) => f.name === mount?.base)?.type;
}
