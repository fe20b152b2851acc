// The copy itself: the raw image is read in 4 MiB chunks and hashed; a chunk of data is written
// at its offset, a chunk of zeros only where the device does not read zeros there already (or
// never, with --sparse, when the user vouches that the device reads zeros: a new or discarded
// disk). A short read or a read error stops the run: nothing is padded. After a flush the device
// is read back and hashed, and the two digests must match.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { KilnError } from '../errors.js';

/** Bytes per read. */
const CHUNK = 4 * 1024 * 1024;
/** Zero detection granularity: a block of zeros is skipped when the device reads zeros there. */
export const BLOCK = 64 * 1024;

/** Where a copy or a verification is. */
export interface Progress {
  stage: 'write' | 'verify';
  done: number;
  total: number;
  /** Bytes of zeros not written (the device read zeros there, or --sparse). */
  skipped: number;
}

/** How zero chunks are handled. */
export type ZeroPolicy = 'check' | 'trust';

/** What copyImage needs. */
export interface CopyRequest {
  /** The raw image file. */
  source: string;
  /** Bytes to copy (the image's virtual size). */
  size: number;
  target: FileHandle;
  /** Device path, for messages. */
  targetPath: string;
  zeros: ZeroPolicy;
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal | undefined;
}

/** True when the buffer holds only zero bytes. */
function isZero(buffer: Buffer, zeros: Buffer): boolean {
  return buffer.length <= zeros.length && buffer.equals(zeros.subarray(0, buffer.length));
}

function ioError(what: string, offset: number, path: string, cause: unknown): KilnError {
  const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
  return new KilnError(`${what} error at byte ${offset} of ${path}: ${code}`, { cause, hint: 'the device holds an incomplete image now: do not boot it; check the source file and the device (dmesg), then write again' });
}

/** Fills `buffer` from `offset` of `file`; anything less is an error, never padding. */
async function readFully(file: FileHandle, buffer: Buffer, offset: number, path: string): Promise<void> {
  let filled = 0;
  while (filled < buffer.length) {
    let bytes: number;
    try {
      ({ bytesRead: bytes } = await file.read(buffer, filled, buffer.length - filled, offset + filled));
    } catch (error) {
      throw ioError('read', offset + filled, path, error);
    }
    if (bytes === 0) {
      throw new KilnError(`read error: ${path} ended at byte ${offset + filled}, ${buffer.length - filled} bytes short of what was expected`, {
        hint: 'the image or device is shorter than it claims (truncated); nothing was padded: the device holds an incomplete image, do not boot it',
      });
    }
    filled += bytes;
  }
}

async function writeFully(file: FileHandle, buffer: Buffer, offset: number, path: string): Promise<void> {
  let written = 0;
  while (written < buffer.length) {
    try {
      written += (await file.write(buffer, written, buffer.length - written, offset + written)).bytesWritten;
    } catch (error) {
      throw ioError('write', offset + written, path, error);
    }
  }
}

/** Copies the image onto the device; returns the sha256 of the image's disk and the bytes skipped. */
export async function copyImage(request: CopyRequest): Promise<{ sha256: string; skipped: number }> {
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(CHUNK);
  const buffer = Buffer.alloc(CHUNK);
  const existing = Buffer.alloc(CHUNK);
  let skipped = 0;
  const source = await open(request.source, 'r');
  try {
    skipped = await copyChunks(request, source, { hash, zeros, buffer, existing });
  } finally {
    await source.close();
  }
  return { sha256: hash.digest('hex'), skipped };
}

/** Blocks of a chunk to write (pure): data always; zeros only where the device holds data (`there`), or never without `there`. */
export function blocksToWrite(chunk: Buffer, there: Buffer | undefined, zeros: Buffer): boolean[] {
  const flags: boolean[] = [];
  for (let at = 0; at < chunk.length; at += BLOCK) {
    const end = Math.min(at + BLOCK, chunk.length);
    flags.push(!isZero(chunk.subarray(at, end), zeros) || (there !== undefined && !isZero(there.subarray(at, end), zeros)));
  }
  return flags;
}

/** Writes the runs of flagged blocks of `chunk` at `offset`; returns the bytes not written. */
async function writeRuns(request: CopyRequest, chunk: Buffer, offset: number, flags: readonly boolean[]): Promise<number> {
  let skipped = 0;
  for (let i = 0; i < flags.length;) {
    let j = i;
    while (j < flags.length && flags[j] === flags[i]) j++;
    const run = chunk.subarray(i * BLOCK, Math.min(j * BLOCK, chunk.length));
    if (flags[i]) await writeFully(request.target, run, offset + i * BLOCK, request.targetPath);
    else skipped += run.length;
    i = j;
  }
  return skipped;
}

async function copyChunks(request: CopyRequest, source: FileHandle, b: { hash: ReturnType<typeof createHash>; zeros: Buffer; buffer: Buffer; existing: Buffer }): Promise<number> {
  const { hash, zeros, buffer, existing } = b;
  let skipped = 0;
  for (let offset = 0; offset < request.size; offset += CHUNK) {
    request.signal?.throwIfAborted();
    const length = Math.min(CHUNK, request.size - offset);
    const chunk = buffer.subarray(0, length);
    await readFully(source, chunk, offset, request.source);
    hash.update(chunk);
    let there: Buffer | undefined;
    // The device is read only where the image has zeros, to learn whether they must be written.
    if (request.zeros === 'check' && blocksToWrite(chunk, undefined, zeros).includes(false)) {
      there = existing.subarray(0, length);
      await readFully(request.target, there, offset, request.targetPath);
    }
    skipped += await writeRuns(request, chunk, offset, blocksToWrite(chunk, request.zeros === 'check' ? there : undefined, zeros));
    request.onProgress?.({ stage: 'write', done: offset + length, total: request.size, skipped });
  }
  return skipped;
}

/** The sha256 of the device's first `size` bytes, read back. */
export async function hashDevice(target: FileHandle, size: number, targetPath: string, onProgress?: (p: Progress) => void, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.alloc(CHUNK);
  for (let offset = 0; offset < size; offset += CHUNK) {
    signal?.throwIfAborted();
    const chunk = buffer.subarray(0, Math.min(CHUNK, size - offset));
    await readFully(target, chunk, offset, targetPath);
    hash.update(chunk);
    onProgress?.({ stage: 'verify', done: offset + chunk.length, total: size, skipped: 0 });
  }
  return hash.digest('hex');
}
