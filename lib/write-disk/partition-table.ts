// The partition table after an image is written to a larger disk. A GPT keeps its backup header
// in the disk's last sector, so the image's backup header now sits in the middle of the disk and
// firmware and tools report a damaged table: sfdisk moves it to the end. On request the last
// partition grows to the end of the disk (sfdisk `-N`, start, type and UUID unchanged); its
// filesystem grows when the system resizes it (cloud-init, systemd-growfs) or with resize2fs.
import { KilnError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';

/** The on-disk table as sfdisk --json gives it. */
interface SfdiskTable {
  label: string;
  sectorsize?: number;
  partitions?: { node: string; start: number; size: number }[];
}

async function readTable(device: string, log: LogSink): Promise<SfdiskTable | undefined> {
  const listed = await run(['sfdisk', '--json', device], { log, allowFailure: true, captureStdout: true });
  return listed.exitCode === 0 ? (JSON.parse(listed.stdout) as { partitiontable: SfdiskTable }).partitiontable : undefined;
}

/** The number of the partition that ends last, from sfdisk's node names (pure). */
export function lastPartitionNumber(table: SfdiskTable): number | undefined {
  const last = [...(table.partitions ?? [])].sort((a, b) => a.start + a.size - (b.start + b.size)).pop();
  const number = last ? /(\d+)$/.exec(last.node)?.[1] : undefined;
  return number === undefined ? undefined : Number(number);
}

/** Moves a GPT's backup header and entries to the end of the device; no-op for MBR. Returns whether it did. */
export async function relocateBackupGpt(device: string, log: LogSink): Promise<boolean> {
  const table = await readTable(device, log);
  if (table?.label !== 'gpt') return false;
  await run(['sfdisk', '--no-reread', '--no-tell-kernel', '--relocate', 'gpt-bak-std', device], { log, what: `moving the backup GPT header of ${device} to its end` });
  return true;
}

/** Grows the partition that ends last to the end of the device; returns its node and new size in bytes. */
export async function growLastPartition(device: string, log: LogSink): Promise<{ node: string; bytes: number }> {
  const table = await readTable(device, log);
  const number = table ? lastPartitionNumber(table) : undefined;
  if (!table || number === undefined) throw new KilnError(`--grow: the image on ${device} has no partition to grow`, { exitCode: 2 });
  if (table.label === 'dos' && number > 4) {
    throw new KilnError(`--grow: partition ${number} of ${device} is a logical partition; kiln grows primary partitions only`, { exitCode: 2, hint: 'grow the extended partition and the logical one with fdisk or parted' });
  }
  await run(['sfdisk', '--no-reread', '--no-tell-kernel', '-N', String(number), device], { log, input: ', +\n', what: `growing partition ${number} of ${device}` });
  const grown = (await readTable(device, log))?.partitions?.find((p) => new RegExp(`\\D${number}$`).test(p.node));
  return { node: grown?.node ?? `${device}${number}`, bytes: (grown?.size ?? 0) * (table.sectorsize ?? 512) };
}

/** Asks the kernel to read the new table; false when it cannot now (a loop device without partition scanning, a busy disk). */
export async function rereadPartitions(device: string, log: LogSink): Promise<boolean> {
  return (await run(['blockdev', '--rereadpt', device], { log, allowFailure: true })).exitCode === 0;
}
