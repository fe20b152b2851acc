// initramfs files for kiln-diff: one or more cpio "newc" archives, each plain or compressed
// (zstd, gzip, xz), one after the other, as the kernel unpacks them (Debian puts an uncompressed
// microcode archive before the compressed main one). Members of later archives replace earlier
// ones, as they do when the kernel unpacks them.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { run } from '../exec/run.js';
import type { Entry, Listing } from './listing.js';

const NEWC = '070701';
const CRC = '070702';

/** The compression of the data at the start of `data`, if any. */
export function compressionOf(data: Buffer): 'zstd' | 'gzip' | 'xz' | 'cpio' | undefined {
  if (data.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  if (data[0] === 0x1f && data[1] === 0x8b) return 'gzip';
  if (data.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  const magic = data.subarray(0, 6).toString('latin1');
  return magic === NEWC || magic === CRC ? 'cpio' : undefined;
}

async function decompress(kind: 'zstd' | 'xz', data: Buffer): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-diff-'));
  try {
    await writeFile(join(dir, 'in'), data);
    await run([kind, '-d', '-c', '-q', join(dir, 'in')], { stdoutFile: join(dir, 'out'), what: `decompressing ${kind} data` });
    return await readFile(join(dir, 'out'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const KINDS: Record<number, Entry['kind']> = { 0o100000: 'file', 0o040000: 'dir', 0o120000: 'symlink', 0o020000: 'char', 0o060000: 'block', 0o010000: 'fifo', 0o140000: 'socket' };

/** Parses one newc archive from `at`; returns where it ends (after the trailer). */
function readNewc(data: Buffer, at: number, entries: Map<string, Entry>): number {
  let offset = at;
  for (;;) {
    const hex = (i: number): number => parseInt(data.subarray(offset + 6 + i * 8, offset + 14 + i * 8).toString('latin1'), 16);
    const magic = data.subarray(offset, offset + 6).toString('latin1');
    if (magic !== NEWC && magic !== CRC) throw new Error(`not a cpio newc header at byte ${offset}`);
    const [mode, uid, gid, nlink, mtime, size, , , rdevMajor, rdevMinor, nameSize] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(hex) as number[];
    const nameStart = offset + 110;
    const name = data.subarray(nameStart, nameStart + nameSize! - 1).toString('utf8');
    const dataStart = Math.ceil((nameStart + nameSize!) / 4) * 4;
    offset = Math.ceil((dataStart + size!) / 4) * 4;
    if (name === 'TRAILER!!!') return offset;
    const kind = KINDS[mode! & 0o170000] ?? 'other';
    const content = data.subarray(dataStart, dataStart + size!);
    const meta: Record<string, string> = { mode: (mode! & 0o7777).toString(8).padStart(4, '0'), uid: String(uid), gid: String(gid), size: String(size), nlink: String(nlink) };
    if (kind === 'symlink') meta.link = content.toString('utf8');
    if (kind === 'char' || kind === 'block') meta.device = `${rdevMajor},${rdevMinor}`;
    const path = name.replace(/^\.\//, '').replace(/^\//, '') || '.';
    entries.set(path, { path, kind, meta, times: { mtime: mtime! }, ...(kind === 'file' ? { digest: createHash('sha256').update(content).digest('hex') } : {}) });
  }
}

/** Reads an initramfs (or any cpio file) held in `data`. */
export async function readInitramfs(data: Buffer, format = 'initramfs'): Promise<Listing> {
  const entries = new Map<string, Entry>();
  const parts: string[] = [];
  let rest = data;
  while (rest.length) {
    const start = rest.findIndex((b) => b !== 0);
    if (start < 0) break;
    rest = rest.subarray(start);
    const kind = compressionOf(rest);
    if (kind === 'cpio') {
      rest = rest.subarray(readNewc(rest, 0, entries));
      parts.push('cpio');
    } else if (kind === 'gzip') {
      // A gzip stream may be followed by nothing else: unpack the rest as one.
      rest = gunzipSync(rest);
      parts.push('gzip');
    } else if (kind === 'zstd' || kind === 'xz') {
      rest = await decompress(kind, rest);
      parts.push(kind);
    } else {
      throw new Error(`unknown data at byte ${data.length - rest.length} of the ${format} (not cpio, zstd, gzip or xz)`);
    }
  }
  return { format: `${format} (${parts.join(' + ')})`, headers: { layers: parts.join(' + ') }, timeHeaders: [], entries };
}
