// Image outputs from the raw disk: qcow2, vhd, vmdk, vdi through `qemu-img convert`, and raw
// itself (moved last, so it is not copied). Every output is written under a temporary name and
// renamed when complete.
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';

/** qemu-img's name for each format, and kiln's default creation options for it. */
export const QEMU_FORMATS: Readonly<Record<string, { format: string; options: string[] }>> = {
  qcow2: { format: 'qcow2', options: [] },
  // Fixed-size VHD is what Azure and XenServer import; dynamic VHDs from qemu-img do not resize there.
  vhd: { format: 'vpc', options: ['subformat=fixed', 'force_size=on'] },
  // streamOptimized is the VMDK flavour vSphere and OVF importers expect for uploads.
  vmdk: { format: 'vmdk', options: ['subformat=streamOptimized'] },
  vdi: { format: 'vdi', options: [] },
};

/** What to convert. */
export interface ImageOutputRequest {
  format: string;
  raw: string;
  path: string;
  /** qcow2: compress (unless -u). */
  compress: boolean;
  /** --qemu-img-options, `k=v,...`; applied after kiln's own. */
  userOptions: string | undefined;
  log: LogSink;
  signal?: AbortSignal;
}

/** The qemu-img argv for one conversion (pure). */
export function convertCommand(request: Omit<ImageOutputRequest, 'log' | 'signal'>, target: string): string[] {
  const spec = QEMU_FORMATS[request.format]!;
  const options = [...spec.options];
  // zstd is several times faster than zlib at a similar size (qemu ≥ 5.1).
  if (request.format === 'qcow2' && request.compress) options.push('compression_type=zstd');
  if (request.userOptions) options.push(request.userOptions);
  const argv = ['qemu-img', 'convert', '-f', 'raw', '-O', spec.format, '-m', '8', '-W'];
  if (request.format === 'qcow2' && request.compress) argv.push('-c');
  if (options.length) argv.push('-o', options.join(','));
  return [...argv, request.raw, target];
}

/** Writes one image output atomically; raw is moved rather than copied. */
export async function writeImageOutput(request: ImageOutputRequest, moveRaw: boolean): Promise<void> {
  const partial = join(dirname(request.path), `.${basename(request.path)}.kiln-partial`);
  try {
    if (request.format === 'raw') {
      if (moveRaw) await run(['mv', request.raw, partial], { log: request.log });
      else await run(['cp', '--sparse=always', request.raw, partial], { log: request.log, signal: request.signal });
    } else {
      await run(convertCommand(request, partial), { log: request.log, signal: request.signal, what: `converting the disk to ${request.format}` });
    }
    await rename(partial, request.path);
  } finally {
    if (existsSync(partial)) await rm(partial, { force: true });
  }
}
