// What is on a device now and what uses it: the on-disk partition table (sfdisk reads it even
// where the kernel did not scan it), the signature and label blkid finds on the disk and in each
// partition (probed at the partition's offset, so no partition device node is needed), the mount
// table and the active swap areas.
import { readFileSync, realpathSync } from 'node:fs';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { mountTable } from '../resources/mount.js';
import type { DeviceFacts } from './device.js';
import { parseSwaps, type Signature, type UsageFacts } from './refusals.js';

/** A partition of the on-disk table, with what blkid finds in it. */
export interface TablePartition {
  /** `/dev/sdb2` (the node may not exist when the kernel did not scan the table). */
  node: string;
  start: number;
  size: number;
  type: string | undefined;
  label: string | undefined;
}

/** The on-disk picture of a device. */
export interface DiskContents {
  /** Partition table type, undefined when there is none. */
  table: 'gpt' | 'dos' | undefined;
  partitions: TablePartition[];
  /** What blkid finds on the whole disk (a filesystem or member signature without a table). */
  signature: string | undefined;
  signatures: Signature[];
}

/** blkid's `KEY=value` lines as a map (pure). */
export function parseBlkidExport(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').map((l) => /^([A-Z_]+)=(.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null).map((m) => [m[1]!, m[2]!]));
}

async function blkid(device: string, log: LogSink, at?: { start: number; size: number }): Promise<Record<string, string>> {
  const range = at ? ['--offset', String(at.start), '--size', String(at.size)] : [];
  // Exit 2: nothing found; any other failure is reported as "unknown" rather than stopping.
  const result = await run(['blkid', '--probe', '--output', 'export', ...range, device], { log, allowFailure: true, captureStdout: true });
  return result.exitCode === 0 ? parseBlkidExport(result.stdout) : {};
}

/** Reads the partition table and the signatures of the disk and of each partition. */
export async function readDiskContents(device: DeviceFacts, log: LogSink): Promise<DiskContents> {
  const whole = await blkid(device.path, log);
  const table = whole.PTTYPE === 'gpt' || whole.PTTYPE === 'dos' ? whole.PTTYPE : undefined;
  const partitions: TablePartition[] = [];
  if (table) {
    const listed = await run(['sfdisk', '--json', device.path], { log, allowFailure: true, captureStdout: true });
    const parsed = listed.exitCode === 0 ? (JSON.parse(listed.stdout) as { partitiontable: { sectorsize?: number; partitions?: { node: string; start: number; size: number }[] } }) : undefined;
    const sector = parsed?.partitiontable.sectorsize ?? 512;
    for (const p of parsed?.partitiontable.partitions ?? []) {
      const at = { start: p.start * sector, size: p.size * sector };
      const found = await blkid(device.path, log, at);
      partitions.push({ node: p.node, ...at, type: found.TYPE, label: found.LABEL });
    }
  }
  const signatures: Signature[] = [
    ...(whole.TYPE ? [{ where: device.path, type: whole.TYPE }] : []),
    ...partitions.flatMap((p) => (p.type ? [{ where: p.node, type: p.type }] : [])),
  ];
  return { table, partitions, signature: whole.TYPE, signatures };
}

function resolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The mounts and swap areas of the machine, and the device's signatures. */
export function usageFacts(contents: DiskContents): UsageFacts {
  let swaps: string[] = [];
  try {
    swaps = parseSwaps(readFileSync('/proc/swaps', 'utf8')).map(resolved);
  } catch {
    swaps = [];
  }
  return { mounts: mountTable(), swaps, signatures: contents.signatures };
}
