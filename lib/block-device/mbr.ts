// Partition placement for MBR tables, as DIB's level1/mbr.py places them: primaries first,
// each at the next aligned block (1 MiB by default); the first non-primary partition opens an
// extended partition (type 0x0f) from the next free aligned block to the end of the disk, and
// every logical partition gets its EBR at an aligned block with its data one alignment unit
// later. Percentages are of DIB's free() = disk − (next free block + alignment). Pure.
import type { PartitioningNode } from './types.js';
import { SECTOR, type PlannedPartition } from './layout-types.js';
import { mbrTypeByte, sfdiskMbrType } from './partition-types.js';
import { partitionBytes, tooBig } from './partition-size.js';
import { ConfigError } from '../errors.js';
import { where } from './yaml-tree.js';

/** Placed MBR partitions plus the extended partition, if any. */
export interface MbrPlacement {
  partitions: PlannedPartition[];
  extended: { number: number; startSector: number; sizeSectors: number } | undefined;
}

/** Places the partitions of an MBR table on a disk of `diskBytes`. */
export function placeMbrPartitions(table: PartitioningNode, diskBytes: number): MbrPlacement {
  const alignBlocks = table.alignBytes / SECTOR;
  const diskBlocks = Math.floor(diskBytes / SECTOR);
  const align = (block: number): number => Math.ceil(block / alignBlocks) * alignBlocks;
  let nextFree = align(1);
  let slot = 0;
  let extended: MbrPlacement['extended'];
  const partitions: PlannedPartition[] = [];
  for (const part of table.partitions) {
    const free = diskBytes - (nextFree + alignBlocks) * SECTOR;
    const length = Math.floor(partitionBytes(part, free) / SECTOR);
    const fail = (message: string, hint?: string): never => {
      throw new ConfigError(`partition "${part.name}": ${message}`, where(part.origin.source, part.origin.line), hint);
    };
    if (length <= 0) fail(`size ${part.sizeText} leaves no room for it`, 'make the image bigger or the partitions before it smaller');
    let start: number;
    if (part.primary) {
      if (extended) fail('all primary partitions must be given first', 'move the primary partitions before the logical ones');
      if (slot >= 4) fail('an MBR table holds at most 4 primary partitions', 'drop the "primary" flag to make it a logical partition');
      start = align(nextFree);
    } else {
      if (!extended) {
        if (slot >= 4) fail('no MBR slot is left for the extended partition', 'use at most 3 primary partitions when there are logical ones');
        extended = { number: slot + 1, startSector: nextFree, sizeSectors: diskBlocks - nextFree };
        slot = 4;
      }
      start = align(nextFree + 1);
    }
    if (start + length > diskBlocks) tooBig(part, length * SECTOR, Math.max(0, (diskBlocks - start) * SECTOR), diskBytes);
    slot += 1;
    partitions.push({
      name: part.name, number: slot, startSector: start, sizeSectors: length, sfdiskType: sfdiskMbrType(mbrTypeByte(part.type)!),
      bootable: part.bootable, logical: !part.primary, uuid: undefined,
    });
    nextFree = align(start + length);
  }
  return { partitions, extended };
}
