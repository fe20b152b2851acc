// Partition placement for GPT tables, as DIB's sgdisk call places them (level1/partitioning.py
// _create_gpt): 2 MiB are kept back for the GPT structures, each size (absolute or a percentage
// of what is still free) is cut down to whole MiB, and the partitions follow each other from
// sector 2048, each starting on a MiB boundary. Pure.
import { ConfigError } from '../errors.js';
import { MIB, SECTOR, type PlannedPartition } from './layout-types.js';
import { partitionBytes, tooBig } from './partition-size.js';
import { gptTypeGuid } from './partition-types.js';
import type { PartitioningNode } from './types.js';
import { where } from './yaml-tree.js';

/** Places the partitions of a GPT table; `uuid()` gives each its PARTUUID. */
export function placeGptPartitions(table: PartitioningNode, diskBytes: number, uuid: () => string): PlannedPartition[] {
  let free = diskBytes - 2 * MIB;
  let start = MIB / SECTOR;
  return table.partitions.map((part, index) => {
    const fail = (message: string, hint?: string): never => {
      throw new ConfigError(`partition "${part.name}": ${message}`, where(part.origin.source, part.origin.line), hint);
    };
    if (/["\\\n]/.test(part.name) || part.name.length > 36) fail('GPT partition names are at most 36 characters, without quotes or backslashes');
    const bytes = partitionBytes(part, free);
    if (bytes > free) tooBig(part, bytes, free, diskBytes);
    const mib = Math.floor(bytes / MIB);
    if (mib === 0) fail(`size ${part.sizeText} is less than 1 MiB; GPT partitions are sized in whole MiB`, 'make the image or the partition bigger');
    const placed: PlannedPartition = {
      name: part.name, number: index + 1, startSector: start, sizeSectors: (mib * MIB) / SECTOR,
      sfdiskType: gptTypeGuid(part.type)!, bootable: false, logical: false, uuid: uuid(),
    };
    start += placed.sizeSectors;
    free -= bytes;
    return placed;
  });
}
