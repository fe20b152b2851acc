// The disk layout: what planDiskLayout() computes from a config and a size, and what the
// executor (disk.ts) carries out. Pure data; sizes in 512-byte sectors and bytes.
import type { FsType, LvmNode } from './types.js';

/** Bytes per sector; kiln writes tables for 512-byte sectors only. */
export const SECTOR = 512;
export const MIB = 1024 * 1024;

/** One partition with its place on the disk. */
export interface PlannedPartition {
  /** Node name from the config (`root`, `ESP`). */
  name: string;
  /** Partition number: the kernel's device is <loop>p<number>. */
  number: number;
  startSector: number;
  sizeSectors: number;
  /** Type as sfdisk wants it: MBR hex byte (`83`), GPT type GUID. */
  sfdiskType: string;
  /** MBR boot flag (0x80). */
  bootable: boolean;
  /** MBR logical partition (inside the extended one). */
  logical: boolean;
  /** GPT partition UUID (PARTUUID). */
  uuid: string | undefined;
}

/** A partition table ready to be written by sfdisk. */
export interface PartitionTable {
  label: 'mbr' | 'gpt';
  /** Disk identifier: `0x1a2b3c4d` (MBR) or a GUID (GPT). */
  id: string;
  partitions: PlannedPartition[];
  /** MBR only: the extended partition (type 0x0f) that holds the logical ones. */
  extended: { number: number; startSector: number; sizeSectors: number } | undefined;
  /** The sfdisk input script for this table. */
  script: string;
}

/** A filesystem to make. */
export interface PlannedFilesystem {
  name: string;
  /** Partition name, or the local_loop name for a filesystem on the whole disk. */
  device: string;
  type: FsType;
  label: string;
  /** UUID (vfat: volume id XXXX-XXXX), fixed by the config or generated. */
  uuid: string;
  /** mkfs argv without the device. */
  mkfs: string[];
}

/** A filesystem mounted while the image is built. */
export interface PlannedMount {
  mountPoint: string;
  /** The mkfs node name. */
  filesystem: string;
  type: FsType;
  /** vfat: kept as a plain folder in its parent filesystem during the build, copied in at close. */
  staged: boolean;
}

/** Everything needed to create, fill and describe the disk. */
export interface DiskLayout {
  /** local_loop node name: the image file is `<name>.raw`. */
  imageName: string;
  /** Folder for the image file from the config (local_loop `directory`), if any. */
  directory: string | undefined;
  sizeBytes: number;
  table: PartitionTable | undefined;
  /** In call order. */
  filesystems: PlannedFilesystem[];
  /** In mount order (string order of mount points); swap is never mounted. */
  mounts: PlannedMount[];
  /** /etc/fstab for the image, UUID= lines in mount order, swap last. */
  fstab: string;
  /** The filesystem mounted at /. */
  root: { filesystem: string; type: FsType; label: string; uuid: string };
  /** Label of the filesystem mounted at /boot, if there is one (DIB_BOOT_LABEL). */
  bootLabel: string | undefined;
  /** Physical volumes, volume groups and logical volumes made on the partitions (built only in the build VM). */
  lvm: LvmNode | undefined;
}
