// Partition sizes: an absolute size, or a percentage of the space still free (DIB
// parse_rel_size_spec: int(free × percent / 100)), and the "does not fit" error. Pure.
import { formatBytes } from '../config/size.js';
import { ConfigError } from '../errors.js';
import type { PartitionNode } from './types.js';
import { where } from './yaml-tree.js';

/** Bytes a partition asks for, given the free space it may take a percentage of. */
export function partitionBytes(part: PartitionNode, freeBytes: number): number {
  if (part.size.kind === 'bytes') return part.size.bytes;
  return Math.floor((Math.max(0, freeBytes) * part.size.percent) / 100);
}

/** The error for a partition that does not fit on the disk. */
export function tooBig(part: PartitionNode, neededBytes: number, freeBytes: number, diskBytes: number): never {
  throw new ConfigError(
    `partition "${part.name}" (${part.sizeText}) does not fit: it needs ${formatBytes(neededBytes)} but only ` +
      `${formatBytes(Math.max(0, freeBytes))} are left on the ${formatBytes(diskBytes)} image`,
    where(part.origin.source, part.origin.line),
    'make the image bigger (--image-size) or the partitions smaller',
  );
}
