// What the kernel says about a block device, from sysfs: size, sector size, read-only flag,
// model, the partitions it knows, and the devices that hold it or its partitions (device-mapper,
// RAID, bcache). Read once before anything is written; the decisions are made elsewhere (pure).
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';

/** A partition the kernel knows on the device. */
export interface KernelPartition {
  name: string;
  /** `major:minor`. */
  device: string;
  /** Start and size in bytes. */
  start: number;
  size: number;
}

/** A device that holds the disk or one of its partitions. */
export interface Holder {
  /** The disk or partition held (`sdb`, `sdb2`). */
  held: string;
  /** The holder (`dm-0`, `md127`). */
  name: string;
  /** What it is, when sysfs says (`device-mapper vg0-root`, `RAID md127`). */
  what: string | undefined;
}

/** Facts about a whole-disk block device. */
export interface DeviceFacts {
  /** Resolved path (`/dev/sdb`). */
  path: string;
  /** Kernel name (`sdb`, `loop5`, `nvme0n1`). */
  name: string;
  /** `major:minor`. */
  device: string;
  size: number;
  logicalBlockSize: number;
  readOnly: boolean;
  removable: boolean;
  /** Vendor and model, or the backing file of a loop device. */
  model: string | undefined;
  partitions: KernelPartition[];
  holders: Holder[];
}

const SYS = '/sys/class/block';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function holdersOf(held: string, dir: string): Holder[] {
  const holdersDir = join(dir, 'holders');
  if (!existsSync(holdersDir)) return [];
  return readdirSync(holdersDir).map((name) => {
    const dm = read(join(SYS, name, 'dm/name'));
    const md = existsSync(join(SYS, name, 'md'));
    return { held, name, what: dm ? `device-mapper ${dm}` : md ? `RAID ${name}` : undefined };
  });
}

function modelOf(dir: string): string | undefined {
  const backing = read(join(dir, 'loop/backing_file'));
  if (backing) return `loop device backed by ${backing}`;
  const words = [read(join(dir, 'device/vendor')), read(join(dir, 'device/model'))].filter((w): w is string => Boolean(w));
  return words.length ? words.join(' ') : undefined;
}

function partitionsOf(name: string, dir: string): KernelPartition[] {
  return readdirSync(dir)
    .filter((entry) => entry.startsWith(name) && existsSync(join(dir, entry, 'partition')))
    .map((entry) => ({
      name: entry,
      device: read(join(dir, entry, 'dev')) ?? '',
      start: Number(read(join(dir, entry, 'start')) ?? 0) * 512,
      size: Number(read(join(dir, entry, 'size')) ?? 0) * 512,
    }))
    .sort((a, b) => a.start - b.start);
}

/** Reads the facts about `path`, which must be a whole-disk block device. */
export function readDeviceFacts(given: string): DeviceFacts {
  if (!existsSync(given)) throw new UsageError(`${given} does not exist`, 'give the whole-disk block device to write to, e.g. /dev/sdb (see lsblk)');
  const path = realpathSync(given);
  if (!statSync(path).isBlockDevice()) {
    throw new UsageError(`${given} is not a block device`, 'kiln-write-disk writes to disks; to convert an image into a file use qemu-img convert');
  }
  const name = basename(path);
  const dir = join(SYS, name);
  if (existsSync(join(dir, 'partition'))) {
    const parent = basename(dirname(realpathSync(dir)));
    throw new UsageError(`${given} is partition ${name} of /dev/${parent}, not a whole disk`, `a disk image carries its own partition table: give /dev/${parent}`);
  }
  const partitions = partitionsOf(name, dir);
  return {
    path, name, device: read(join(dir, 'dev')) ?? '',
    size: Number(read(join(dir, 'size')) ?? 0) * 512,
    logicalBlockSize: Number(read(join(dir, 'queue/logical_block_size')) ?? 512),
    readOnly: read(join(dir, 'ro')) === '1',
    removable: read(join(dir, 'removable')) === '1',
    model: modelOf(dir),
    partitions,
    holders: [...holdersOf(name, dir), ...partitions.flatMap((p) => holdersOf(p.name, join(dir, p.name)))],
  };
}
