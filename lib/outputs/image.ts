// Image outputs: the raw disk image as raw, qcow2, vhd, vmdk and vdi. Each format is converted
// once from the raw; the raw itself is handled last because it is moved, not copied. Every file
// is written under a temporary name and renamed when complete, and stays sparse.
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalError } from '../errors.js';
import { tempPrefix } from '../resources/temp-dir.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { writeAtomically } from './partial.js';
import { qemuImgConvertArgv } from './qemu-img.js';
import { outputFormat, outputPath } from './registry.js';

/** One image output to write (the engine's per-format call). */
export interface ImageOutputRequest {
  /** raw, qcow2, vhd, vmdk or vdi. */
  format: string;
  /** The finished raw disk image (closed: no loop device, nothing mounted). */
  raw: string;
  /** Final file name (`NAME.qcow2`). */
  path: string;
  /** qcow2: compressed (false with -u). */
  compress: boolean;
  /** --qemu-img-options (`k=v,...`), passed to qemu-img after kiln's own -o. */
  userOptions: string | undefined;
  /** zstd qcow2 compression is available; probed when not given. */
  zstd?: boolean;
  log: LogSink;
  /** Aborting stops qemu-img and removes the partial file. */
  signal?: AbortSignal;
  forceSignal?: AbortSignal;
}

/** Every image output of one build. */
export interface ImageOutputsRequest {
  /** The finished raw disk image. Moved into place if raw is asked for, else left alone. */
  raw: string;
  /** Output base name (`/home/u/image`): outputs are `NAME.<extension>`. */
  imageName: string;
  /** Requested types; tree types are ignored. */
  formats: readonly string[];
  /** -u: qcow2 without compression. */
  uncompressed: boolean;
  qemuImgOptions?: string | undefined;
  log: LogSink;
  signal?: AbortSignal;
  forceSignal?: AbortSignal;
}

/** One finished output file. */
export interface WrittenOutput {
  format: string;
  path: string;
}

/** The image formats of `formats` in the order they are written: raw last, since it is moved (pure). */
export function imageOutputOrder(formats: readonly string[]): string[] {
  const images = [...new Set(formats)].filter((f) => outputFormat(f).kind === 'image');
  return [...images.filter((f) => f !== 'raw'), ...images.filter((f) => f === 'raw')];
}

/** True if this qemu-img writes zstd-compressed qcow2 (needs qemu ≥ 5.1 built with zstd). */
export async function qemuImgHasZstd(log?: LogSink): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), tempPrefix('qemu-probe')));
  try {
    const probe = await run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-o', 'compression_type=zstd', join(dir, 'probe.qcow2'), '1M'], {
      log, allowFailure: true, label: 'qemu-img',
    });
    return probe.exitCode === 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes every requested image format from `request.raw`, returning the files in write order. */
export async function writeImageOutputs(request: ImageOutputsRequest): Promise<WrittenOutput[]> {
  const order = imageOutputOrder(request.formats);
  const zstd = order.includes('qcow2') && !request.uncompressed ? await qemuImgHasZstd(request.log) : false;
  const written: WrittenOutput[] = [];
  for (const format of order) {
    request.signal?.throwIfAborted();
    const path = outputPath(request.imageName, format);
    await writeImageOutput({
      format, raw: request.raw, path, compress: !request.uncompressed, userOptions: request.qemuImgOptions, zstd,
      log: request.log, ...(request.signal ? { signal: request.signal } : {}), ...(request.forceSignal ? { forceSignal: request.forceSignal } : {}),
    }, true);
    written.push({ format, path });
  }
  return written;
}

/**
 * Writes one image output atomically. raw is moved when `moveRaw` (the last output of the
 * build), else copied sparsely; the other formats are converted by qemu-img.
 */
export async function writeImageOutput(request: ImageOutputRequest, moveRaw = false): Promise<void> {
  const { log, signal, forceSignal } = request;
  if (outputFormat(request.format).kind !== 'image') throw new InternalError(`${request.format} is not an image format`);
  if (request.format === 'raw') return writeRaw(request.raw, request.path, moveRaw, log, signal);
  const zstd = request.zstd ?? (request.format === 'qcow2' && request.compress ? await qemuImgHasZstd(log) : false);
  await writeAtomically(request.path, async (partial) => {
    const argv = qemuImgConvertArgv({
      format: request.format, source: request.raw, target: partial, compress: request.compress, zstd, userOptions: request.userOptions,
    });
    await run(argv, { log, signal, forceSignal, label: 'qemu-img', what: `converting the disk image to ${request.format}` });
  }, { log });
}

/** The raw output: the disk image renamed into place, or copied keeping holes. */
async function writeRaw(raw: string, path: string, move: boolean, log: LogSink, signal: AbortSignal | undefined): Promise<void> {
  await writeAtomically(path, async (partial) => {
    if (move) {
      try {
        await rename(raw, partial);
        return;
      } catch (error) {
        // EXDEV: the work folder is on tmpfs and the output folder is not; copy instead.
        if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
      }
    }
    // --sparse=always keeps holes and turns zero blocks into holes.
    await run(['cp', '--sparse=always', '--', raw, partial], { log, signal, what: `copying the raw disk image to ${path}` });
  }, { log });
}
