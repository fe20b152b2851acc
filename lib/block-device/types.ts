// The validated block-device configuration: DIB's block-device YAML (tree or graph form) turned
// into typed nodes. Produced by config.ts, consumed by layout.ts. Pure data.
import type { SizeSpec } from '../config/size.js';

/** Node types (DIB "plugins") a block-device config may use. */
export const NODE_TYPES = ['local_loop', 'partitioning', 'lvm', 'mkfs', 'mount', 'fstab'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

/** Where a node was written: the config source (file path or variable name) and its line. */
export interface Origin {
  source: string;
  line: number | undefined;
}

/** The disk image file and the loop device it is attached to. */
export interface LoopNode {
  kind: 'local_loop';
  name: string;
  /** Fixed size in bytes; undefined: the computed image size. */
  sizeBytes: number | undefined;
  /** Folder for the image file; undefined: the one kiln chooses. */
  directory: string | undefined;
  /** Sector size; kiln supports 512 only. */
  blockSize: number;
  origin: Origin;
}

/** One partition of a partitioning node. */
export interface PartitionNode {
  kind: 'partition';
  name: string;
  /** The local_loop node the table is written on. */
  base: string;
  /** Absolute size or a percentage of the space still free. */
  size: SizeSpec;
  /** The size as written, for messages. */
  sizeText: string;
  bootable: boolean;
  /** MBR only: a primary partition (others are logical). */
  primary: boolean;
  /** MBR: one byte (`0x83`); GPT: an sgdisk code (`8300`) or a GUID. */
  type: string;
  origin: Origin;
}

/** A partition table on a disk (not itself a graph node; its partitions are). */
export interface PartitioningNode {
  name: string;
  base: string;
  label: 'mbr' | 'gpt';
  /** MBR partition alignment in bytes (default 1 MiB). */
  alignBytes: number;
  partitions: PartitionNode[];
  origin: Origin;
}

/** Filesystem types kiln can make. */
export const FS_TYPES = ['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat', 'swap'] as const;
export type FsType = (typeof FS_TYPES)[number];

/** A filesystem to make on a partition (or on the whole disk). */
export interface MkfsNode {
  kind: 'mkfs';
  name: string;
  /** Partition or local_loop node it is made on. */
  base: string;
  type: FsType;
  /** Label as written to the filesystem (upper case for vfat). */
  label: string;
  /** Fixed UUID (vfat: volume id XXXX-XXXX); undefined: a random one. */
  uuid: string | undefined;
  /** Extra mkfs options. */
  opts: string[];
  origin: Origin;
}

/** Where a filesystem is mounted in the image. */
export interface MountNode {
  kind: 'mount';
  name: string;
  /** The mkfs node. */
  base: string;
  mountPoint: string;
  origin: Origin;
}

/** The fstab line of a mounted filesystem. */
export interface FstabNode {
  kind: 'fstab';
  name: string;
  /** The mount node. */
  base: string;
  options: string;
  dumpFreq: number;
  fsckPassno: number;
  origin: Origin;
}

/** An LVM stanza: validated as DIB does, then refused (see kernel-support.ts). */
export interface LvmNode {
  kind: 'lvm';
  name: string;
  /** Physical volumes: `base` is a partition; `options` go to pvcreate. */
  pvs: { name: string; base: string; options: string[] }[];
  /** Volume groups on physical volumes; `options` go to vgcreate. */
  vgs: { name: string; base: string[]; options: string[] }[];
  lvs: LogicalVolume[];
  origin: Origin;
}

/** One logical volume of an lvm node, in config order (the order lvcreate runs). */
export interface LogicalVolume {
  name: string;
  /** The volume group. */
  base: string;
  /** `size`, in bytes, floored to the 4 MiB extent (DIB); or `extents` (`28%VG`, `100%FREE`) verbatim. */
  size: { bytes: number } | { extents: string };
  /** `thin-pool` or `thin` (then `thinPool` names the pool). */
  type: 'thin' | 'thin-pool' | undefined;
  thinPool: string | undefined;
  /** Extra lvcreate arguments. */
  options: string[];
}

/** The whole validated configuration. */
export interface BlockDeviceConfig {
  /** Where the YAML came from (`DIB_BLOCK_DEVICE_CONFIG`, a file path). */
  source: string;
  loop: LoopNode;
  /** The partition table, if the disk is partitioned. */
  partitioning: PartitioningNode | undefined;
  filesystems: MkfsNode[];
  mounts: MountNode[];
  fstab: FstabNode[];
  lvm: LvmNode[];
  /** Graph node names in the order DIB would call them (topological, config order on ties). */
  callOrder: string[];
}
