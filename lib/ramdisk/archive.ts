// The initramfs file: a cpio "newc" archive (the only format the kernel unpacks) of the ramdisk
// tree, entries in byte order, every owner root, device-independent inode numbers, then
// compressed with zstd (all cores) or gzip. With the tree's times pinned, two builds of the
// same tree give the same bytes.
import { run } from '../exec/run.js';
import { haveTool } from '../exec/host-tools.js';
import type { LogSink } from '../log.js';

/** Ramdisk compression. */
export type RamdiskCompression = 'zstd' | 'gzip';

/** zstd level: -19 packs a 60 MB tree about 10% smaller than the default -3 at a few seconds' cost. */
const ZSTD_LEVEL = 9;

/** The cpio argv that reads NUL-separated names on stdin (pure). */
export function cpioArgv(): string[] {
  return ['cpio', '--quiet', '--create', '--format=newc', '--null', '--owner=0:0', '--reproducible'];
}

/** The compressor argv that reads `input` and writes `output` (pure). */
export function compressArgv(compression: RamdiskCompression, input: string, output: string, havePigz = false): { argv: string[]; stdoutFile?: string } {
  if (compression === 'zstd') {
    // The kernel's zstd decoder handles any level up to 19 (no --ultra, no --long windows).
    return { argv: ['zstd', '--quiet', '--force', '-T0', `-${ZSTD_LEVEL}`, '--check', input, '-o', output] };
  }
  // -n: no name and no time stamp in the header, so the output is reproducible.
  return { argv: [havePigz ? 'pigz' : 'gzip', '-6', '-n', '-c', input], stdoutFile: output };
}

/** Writes the cpio archive of `entries` (paths relative to `tree`) to `output`. */
export async function writeCpio(tree: string, entries: readonly string[], output: string, log: LogSink, signal?: AbortSignal): Promise<void> {
  await run(cpioArgv(), {
    cwd: tree, input: `${entries.join('\0')}\0`, stdoutFile: output, log, signal,
    what: 'cpio archiving the ramdisk tree',
  });
}

/** Compresses `input` into `output`. */
export async function compressFile(compression: RamdiskCompression, input: string, output: string, log: LogSink, signal?: AbortSignal): Promise<void> {
  const { argv, stdoutFile } = compressArgv(compression, input, output, haveTool('pigz'));
  await run(argv, { log, signal, ...(stdoutFile ? { stdoutFile } : {}), what: `compressing the ramdisk with ${argv[0]}` });
}
