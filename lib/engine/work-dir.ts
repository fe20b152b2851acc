// The work folder of a build: in tmpfs when memory allows (diskimage-builder's rule: MemTotal at
// least twice --min-tmpfs), else on disk; $TMPDIR is honoured. It holds the image root, the
// merged hook tree and the raw disk image, and is removed when the build ends, however it ends.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from '../resources/disposable-stack.js';
import { mount } from '../resources/mount.js';
import { makeTempDir, writeOwnerMarker } from '../resources/temp-dir.js';

/** Where the work folder goes and why. */
export interface TmpfsDecision {
  useTmpfs: boolean;
  reason: string;
}

/** Decides tmpfs or disk (pure). */
export function decideTmpfs(memTotalBytes: number | undefined, minTmpfsBytes: number, noTmpfs: boolean): TmpfsDecision {
  if (noTmpfs) return { useTmpfs: false, reason: '--no-tmpfs' };
  if (memTotalBytes === undefined) return { useTmpfs: false, reason: 'memory size unknown (/proc/meminfo unreadable)' };
  const needed = 2 * minTmpfsBytes;
  if (memTotalBytes < needed) {
    return { useTmpfs: false, reason: `not enough RAM for tmpfs (${Math.round(memTotalBytes / 2 ** 30)} GiB < ${Math.round(needed / 2 ** 30)} GiB)` };
  }
  return { useTmpfs: true, reason: `tmpfs (RAM ${Math.round(memTotalBytes / 2 ** 30)} GiB ≥ 2 × --min-tmpfs)` };
}

/** MemTotal in bytes from /proc/meminfo. */
export function memTotal(meminfo?: string): number | undefined {
  try {
    const text = meminfo ?? readFileSync('/proc/meminfo', 'utf8');
    const match = /^MemTotal:\s+(\d+)\s+kB/m.exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the work folder (tmpfs-backed if decided) and registers its removal. */
export async function makeWorkDir(stack: ResourceStack, decision: TmpfsDecision, log: LogSink): Promise<string> {
  const dir = await makeTempDir(stack, 'build', tmpdir(), log);
  if (decision.useTmpfs) {
    // Private like the folder below it (mode 0700, the invoking user's), with kiln's marker, so
    // that a later kiln can tell it is an abandoned build's if this one is killed (leftovers.ts).
    await mount(stack, { source: 'kiln-tmpfs', target: dir, fstype: 'tmpfs', options: ['mode=0700'], log });
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    if (uid !== 0) await run(['chown', `${uid}:${gid}`, dir], { privileged: true, log });
    writeOwnerMarker(dir);
  }
  return dir;
}
