// Partition devices of a loop device. Kernels that do not scan partition tables (`losetup -P`
// gives nothing; containers, CI runners) still accept partitions added with `partx -a`, which
// tells the kernel about each one (BLKPG) and makes /dev/loopNpM appear. Their removal
// (`partx -d`) is registered before they are added, and checked afterwards in sysfs.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KilnError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from './disposable-stack.js';

/** Partition numbers the kernel currently knows for `loopDevice` (from sysfs). */
function kernelPartitions(loopDevice: string): number[] {
  const name = basename(loopDevice);
  try {
    return readdirSync(`/sys/block/${name}`)
      .map((entry) => new RegExp(`^${name}p(\\d+)$`).exec(entry)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** The device node of partition `number` of `loopDevice`. */
function partitionDevice(loopDevice: string, number: number): string {
  return `${loopDevice}p${number}`;
}

function isBlockDevice(path: string): boolean {
  try {
    return statSync(path).isBlockDevice();
  } catch {
    return false;
  }
}

/** Adds the kernel partitions of `loopDevice` and waits for `numbers` to appear; registers their removal. */
export async function addPartitionDevices(stack: ResourceStack, loopDevice: string, numbers: readonly number[],
  options: { log?: LogSink | undefined; signal?: AbortSignal | undefined } = {}): Promise<Map<number, string>> {
  const { log } = options;
  stack.defer(`remove the partition devices of ${loopDevice}`, () => removePartitionDevices(loopDevice, log));
  await run(['partx', '--add', loopDevice], { privileged: true, log, signal: options.signal, what: `adding the partitions of ${loopDevice}` });
  const devices = new Map(numbers.map((n) => [n, partitionDevice(loopDevice, n)]));
  // devtmpfs creates the nodes at once; with udev they can take a moment.
  for (let wait = 0; wait < 100; wait++) {
    if ([...devices.values()].every(isBlockDevice)) return devices;
    await sleep(100);
  }
  const missing = [...devices.values()].filter((d) => !isBlockDevice(d));
  throw new KilnError(`partition devices ${missing.join(', ')} did not appear after partx --add ${loopDevice}`, {
    hint: 'the kernel must support partitions on loop devices (BLKPG); see dmesg',
  });
}

/** Removes every kernel partition of `loopDevice`, retrying while one is still busy. */
export async function removePartitionDevices(loopDevice: string, log?: LogSink): Promise<void> {
  if (!existsSync(loopDevice)) return;
  for (let attempt = 1; attempt <= 10 && kernelPartitions(loopDevice).length; attempt++) {
    await run(['partx', '--delete', loopDevice], { privileged: true, log, allowFailure: true });
    if (kernelPartitions(loopDevice).length) await sleep(100 * attempt);
  }
  const left = kernelPartitions(loopDevice);
  if (left.length) {
    throw new KilnError(`partitions ${left.map((n) => partitionDevice(loopDevice, n)).join(', ')} could not be removed`, {
      hint: `something still uses them (see \`findmnt\`); remove them with: partx -d ${loopDevice}`,
    });
  }
}
