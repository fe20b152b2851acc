// kiln-write-disk IMAGE DEVICE, step by step: read what the device is and what uses it, check the
// image is whole, refuse (listing every reason) before anything is written, ask, then hold the
// device exclusively (the kernel refuses a mount meanwhile), copy, flush, read back and compare
// digests, move a GPT's backup header to the end of a larger disk, grow the last partition when
// asked, and ask the kernel to read the new table. Temp files are released however it ends.
import { constants, readSync, openSync, closeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DeviceRefusedError, InterruptedError, KilnError, UsageError } from '../errors.js';
import { isRoot, run } from '../exec/run.js';
import { checkTools, requiredTools } from '../exec/host-tools.js';
import type { LogSink } from '../log.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { askConfirmation, confirmationText } from './confirm.js';
import { copyImage, hashDevice, type Progress } from './copy.js';
import { readDeviceFacts, type DeviceFacts } from './device.js';
import { growLastPartition, relocateBackupGpt, rereadPartitions } from './partition-table.js';
import { readDiskContents, usageFacts } from './probe.js';
import { refusals } from './refusals.js';
import { inspectImage, rawOf, type SourceImage } from './source.js';

/** What to write where, and how. */
export interface WriteDiskRequest {
  image: string;
  device: string;
  /** Write without asking. */
  yes: boolean;
  /** Trust that the device reads zeros: zero chunks are not even compared. */
  sparse: boolean;
  /** Grow the last partition to the end of the device. */
  grow: boolean;
  log: LogSink;
  signal?: AbortSignal | undefined;
  /** Where the question is asked. */
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  onProgress?: (progress: Progress) => void;
  /** One line per step done. */
  onStep?: (message: string) => void;
}

/** What was done. */
export interface WriteDiskResult {
  sha256: string;
  /** Zero bytes not written. */
  skipped: number;
  bytes: number;
  relocatedGpt: boolean;
  grown: { node: string; bytes: number } | undefined;
  /** Whether the kernel read the new partition table. */
  reread: boolean;
}

const TOOLS = new Map([
  ['qemu-img', 'to read the image'], ['sfdisk', 'to read and fix partition tables'],
  ['blkid', 'to find filesystems and LVM/RAID signatures'], ['blockdev', 'to flush the device and re-read its partitions'],
]);

/** True when the raw image starts with an MBR or GPT partition table. */
function isPartitioned(raw: string): boolean {
  const head = Buffer.alloc(1024);
  const fd = openSync(raw, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  return head.toString('latin1', 512, 520) === 'EFI PART' || (head[510] === 0x55 && head[511] === 0xaa);
}

/** Opens the device exclusively: while kiln holds it, the kernel lets nobody mount or claim it. */
async function openExclusive(device: DeviceFacts): Promise<FileHandle> {
  try {
    return await open(device.path, constants.O_RDWR | constants.O_EXCL);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EBUSY') throw new DeviceRefusedError(device.path, [`${device.path} is in use: the kernel refused an exclusive open (EBUSY: a mount, a holder or another program has it)`]);
    throw new KilnError(`cannot open ${device.path} for writing: ${code ?? String(error)}`, { exitCode: 2 });
  }
}

async function checkBeforeWriting(request: WriteDiskRequest, device: DeviceFacts, image: SourceImage): Promise<void> {
  const contents = await readDiskContents(device, request.log);
  const reasons = refusals(device, usageFacts(contents), { virtualSize: image.virtualSize, partitioned: false });
  if (reasons.length) throw new DeviceRefusedError(device.path, reasons, 'unmount, swapoff or stop what uses it (or pick another device: lsblk); wipefs -a clears a stale LVM/RAID signature');
  if (request.yes) return;
  if (!(await askConfirmation(confirmationText(device, contents, image), request.input, request.output))) {
    throw new KilnError(`not confirmed: nothing was written to ${device.path}`, { hint: 'answer yes, or pass --yes in scripts' });
  }
}

/** Copies, flushes and verifies; throws when the read-back digest differs. */
async function writeAndVerify(request: WriteDiskRequest, device: DeviceFacts, image: SourceImage, raw: string, target: FileHandle): Promise<{ sha256: string; skipped: number }> {
  const { sha256, skipped } = await copyImage({
    source: raw, size: image.virtualSize, target, targetPath: device.path, zeros: request.sparse ? 'trust' : 'check', onProgress: request.onProgress, signal: request.signal,
  });
  await target.sync();
  // Drop the device's cached pages so that the read-back comes from the disk, not from memory.
  await run(['blockdev', '--flushbufs', device.path], { log: request.log, what: `flushing ${device.path}` });
  request.onStep?.(`wrote ${image.virtualSize} bytes (${skipped} bytes of zeros skipped), flushed; reading back`);
  const written = await hashDevice(target, image.virtualSize, device.path, request.onProgress, request.signal);
  if (written !== sha256) {
    throw new KilnError(`verification failed: ${device.path} reads back sha256 ${written}, the image's disk is ${sha256}`, {
      hint: request.sparse ? 'with --sparse the device must read zeros where the image has them: write again without --sparse' : 'the device does not keep what is written to it: check it (dmesg, smartctl) or use another one',
    });
  }
  return { sha256, skipped };
}

/** Writes the image to the device; see the file comment for the steps. */
export async function writeDisk(request: WriteDiskRequest): Promise<WriteDiskResult> {
  if (!isRoot()) throw new UsageError('kiln-write-disk writes to a block device and needs root', 'run it with sudo');
  checkTools(requiredTools({ tools: TOOLS }));
  const device = readDeviceFacts(request.device);
  const image = await inspectImage(request.image, request.log, request.signal);
  await checkBeforeWriting(request, device, image);
  await using stack = new ResourceStack();
  const target = await openExclusive(device);
  stack.defer(`close ${device.path}`, () => target.close());
  const raw = await rawOf(image, stack, request.log, request.signal);
  if (device.logicalBlockSize !== 512 && isPartitioned(raw)) {
    throw new DeviceRefusedError(device.path, refusals(device, { mounts: [], swaps: [], signatures: [] }, { virtualSize: image.virtualSize, partitioned: true }));
  }
  const { sha256, skipped } = await writeAndVerify(request, device, image, raw, target).catch((error: unknown) => {
    if (!(error instanceof InterruptedError)) throw error;
    throw new KilnError(`interrupted by ${error.signal} while writing ${device.path}: it holds part of the image now`, { exitCode: error.exitCode, hint: 'write it again before using it' });
  });
  request.onStep?.(`verified: ${device.path} holds the image (sha256 ${sha256})`);
  await target.close();
  const relocatedGpt = device.size > image.virtualSize && (await relocateBackupGpt(device.path, request.log));
  if (relocatedGpt) request.onStep?.(`moved the backup GPT header to the end of ${device.path}`);
  const grown = request.grow ? await growLastPartition(device.path, request.log) : undefined;
  if (grown) request.onStep?.(`grew ${grown.node} to ${grown.bytes} bytes`);
  await run(['blockdev', '--flushbufs', device.path], { log: request.log });
  return { sha256, skipped, bytes: image.virtualSize, relocatedGpt, grown, reread: await rereadPartitions(device.path, request.log) };
}
