// The partitions of a raw disk image, read with `sfdisk -J` on the file itself (no loop device,
// no partition scanning), and which of them can hold a Linux root or /boot: not the EFI system
// partition, BIOS boot, swap or extended entries.
import { ConfigError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';

/** One partition, in bytes from the start of the image. */
export interface Partition {
  /** 1-based number, as the kernel would name it. */
  number: number;
  start: number;
  size: number;
  /** sfdisk's type: an MBR code (`83`) or a GPT type GUID. */
  type: string;
}

interface SfdiskJson {
  partitiontable?: {
    label?: string;
    sectorsize?: number;
    partitions?: { node?: string; start?: number; size?: number; type?: string }[];
  };
}

/** Types that never hold a Linux filesystem worth reading (upper case GUIDs, lower case MBR codes). */
const SKIPPED_TYPES = new Set([
  'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', // EFI system partition (FAT)
  '21686148-6449-6E6F-744E-656564454649', // BIOS boot
  '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', // Linux swap
  'E3C9E316-0B5C-4DB8-817D-F92DF00215AE', // Microsoft reserved
  'ef', '82', '5', 'f', '85', 'ee',
]);

/** Partitions from `sfdisk -J` output (pure). */
export function parseSfdiskJson(text: string, file = 'image'): Partition[] {
  let parsed: SfdiskJson;
  try {
    parsed = JSON.parse(text) as SfdiskJson;
  } catch {
    throw new ConfigError('sfdisk printed something that is not JSON', file);
  }
  const table = parsed.partitiontable;
  const sector = table?.sectorsize ?? 512;
  return (table?.partitions ?? []).map((p, i) => ({
    number: Number(/(\d+)$/.exec(p.node ?? '')?.[1] ?? i + 1),
    start: (p.start ?? 0) * sector,
    size: (p.size ?? 0) * sector,
    type: (p.type ?? '').toUpperCase().length > 4 ? (p.type ?? '').toUpperCase() : (p.type ?? '').toLowerCase(),
  }));
}

/** Partitions that may hold a Linux filesystem, largest first (the root usually is the largest). */
export function candidatePartitions(partitions: readonly Partition[]): Partition[] {
  return partitions.filter((p) => p.size > 0 && !SKIPPED_TYPES.has(p.type)).sort((a, b) => b.size - a.size || a.number - b.number);
}

/** Reads the partition table of the image file `file`. */
export async function readPartitions(file: string, log: LogSink, signal?: AbortSignal): Promise<Partition[]> {
  const result = await run(['sfdisk', '--json', file], { log, signal, what: `sfdisk reading the partition table of ${file}` });
  return parseSfdiskJson(result.stdout, file);
}
