// --checksum: NAME.EXT.sha256 and NAME.EXT.md5 beside an output, in the format `sha256sum -c`
// and `md5sum -c` read. Both digests are fed from one read of the file: outputs are gigabytes.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { LogSink } from '../log.js';
import { currentOutput, writeAtomically } from './partial.js';

/** Hex digests of one file. */
export interface Digests {
  sha256: string;
  md5: string;
}

/** The algorithms written, with their file suffix. */
const CHECKSUM_ALGORITHMS = ['sha256', 'md5'] as const;

/** One coreutils checksum line (pure): `<hex>  <name>`, escaped as coreutils does for `\` and newlines. */
export function checksumLine(hex: string, name: string): string {
  if (!/[\\\n]/.test(name)) return `${hex}  ${name}\n`;
  const escaped = name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return `\\${hex}  ${escaped}\n`;
}

/** SHA-256 and MD5 of `path`, computed in a single read. */
export async function hashFile(path: string, signal?: AbortSignal): Promise<Digests> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20, ...(signal ? { signal } : {}) })) {
    sha256.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

/** Writes `<path>.sha256` and `<path>.md5` (each appearing only when complete); returns the digests. */
export async function writeChecksums(path: string, options: { signal?: AbortSignal; log?: LogSink } = {}): Promise<Digests> {
  const digests = await hashFile(currentOutput(path), options.signal);
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const line = checksumLine(digests[algorithm], basename(path));
    await writeAtomically(`${path}.${algorithm}`, (partial) => writeFile(partial, line), { log: options.log });
  }
  return digests;
}

/** The paths writeChecksums creates for `path` (pure). */
export function checksumPaths(path: string): string[] {
  return CHECKSUM_ALGORITHMS.map((algorithm) => `${path}.${algorithm}`);
}
