// squashfs for kiln-diff: the superblock (unsquashfs -stat: creation time, compression, block
// size, counts) and the files, unpacked into a temporary folder (owners, modes and extended
// attributes need root, as kiln-diff has when it reads disk images).
import { join } from 'node:path';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from '../resources/disposable-stack.js';
import { makeTempDir } from '../resources/temp-dir.js';
import type { Listing } from './listing.js';
import { readTree } from './tree.js';

/** `unsquashfs -stat` lines as headers; the creation time is a time. */
function squashfsHeaders(stat: string): { headers: Record<string, string>; times: string[] } {
  const headers: Record<string, string> = {};
  const times: string[] = [];
  for (const line of stat.split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (line.startsWith('Found a valid')) continue;
    const time = /^Creation or last append time (.*)$/.exec(line);
    if (time) {
      headers['creation time'] = time[1]!;
      times.push('creation time');
      continue;
    }
    const match = /^(.*?)\s+(\S+)$/.exec(line);
    if (match) headers[match[1]!] = match[2]!;
  }
  return { headers, times };
}

/** Reads the squashfs `file`; the unpacked copy is removed when `stack` unwinds. */
export async function readSquashfs(stack: ResourceStack, file: string, log: LogSink): Promise<Listing> {
  const stat = await run(['unsquashfs', '-stat', file], { log, what: `reading the superblock of ${file}`, env: { TZ: 'UTC' } });
  const dir = await makeTempDir(stack, 'diff', undefined, log);
  const root = join(dir, 'root');
  await run(['unsquashfs', '-no-progress', '-quiet', '-dest', root, file], { log, what: `unpacking ${file}` });
  const listing = await readTree(root, 'squashfs', ['mtime']);
  const { headers, times } = squashfsHeaders(stat.stdout);
  return { ...listing, headers, timeHeaders: times };
}
