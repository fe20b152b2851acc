// What a kiln process killed outright (SIGKILL, the OOM killer, a machine reset of the sandbox)
// leaves behind: no release could run, so its temp folder is still there with the mounts below
// it, the loop devices over files in it, and hooks still running against it. Every kiln temp
// folder is named kiln-<kind>.<pid>.XXXXXX, so the next kiln command can tell, before it starts,
// which folders belong to a process that no longer exists, and clear them. (diskimage-builder
// leaves that to the user: `findmnt`, `umount`, `losetup -d` by hand.)
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LogSink } from '../log.js';
import { findProcesses, stopProcesses } from './chroot.js';
import { detachLoop, loopBackingFile, loopDevicesWhere } from './loop-device.js';
import { mountsBelow, mountTable, unmount } from './mount.js';
import { isAtOrBelow, resolveHostPath } from './safe-path.js';
import { removePartitionDevices } from './partition-devices.js';
import { removeTree } from './remove-tree.js';
import { parseTempName, type KilnTempName } from './temp-dir.js';

/** The kiln temp folders among `names` whose process is gone (pure). */
export function abandoned(names: readonly string[], alive: (pid: number) => boolean, self = process.pid): KilnTempName[] {
  return names
    .map(parseTempName)
    .filter((t): t is KilnTempName => t !== undefined && t.pid !== self && !alive(t.pid));
}

/** True while process `pid` exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What clearing one folder took. */
export interface Cleared {
  path: string;
  pid: number;
  processes: number;
  mounts: number;
  loops: number;
  /** Why the folder could not be cleared completely (the build goes on; the user is told). */
  failed?: string;
}

/** One line for the user about a cleared folder. */
export function describeCleared(c: Cleared): string {
  const left = `left by kiln process ${c.pid} that was killed before it could clean up`;
  if (c.failed) return `could not clear ${c.path}, ${left}: ${c.failed}`;
  const parts = [
    c.processes ? `${c.processes} process${c.processes > 1 ? 'es' : ''} stopped` : '',
    c.mounts ? `${c.mounts} mount${c.mounts > 1 ? 's' : ''}` : '',
    c.loops ? `${c.loops} loop device${c.loops > 1 ? 's' : ''}` : '',
  ].filter(Boolean);
  return `cleared ${c.path}, ${left}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/** Clears every abandoned kiln temp folder in `parent` that this user may clear. */
export async function clearLeftovers(folder: string, log?: LogSink): Promise<Cleared[]> {
  let names: string[];
  let parent: string;
  try {
    parent = resolveHostPath(folder);
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const cleared: Cleared[] = [];
  for (const temp of abandoned(names, processAlive)) {
    const path = join(parent, temp.name);
    if (!ownedByUs(path)) continue;
    try {
      cleared.push({ path, pid: temp.pid, ...(await clearFolder(path, log)) });
    } catch (error) {
      // Somebody else's mess must not stop this build; the line tells the user what to free.
      cleared.push({ path, pid: temp.pid, processes: 0, mounts: 0, loops: 0, failed: error instanceof Error ? error.message : String(error) });
    }
  }
  return cleared;
}

function ownedByUs(path: string): boolean {
  const uid = process.getuid?.() ?? 0;
  try {
    return uid === 0 || statSync(path).uid === uid;
  } catch {
    return false;
  }
}

/** Stops what runs against `path`, unmounts below it, detaches its loop devices, removes it. */
async function clearFolder(path: string, log?: LogSink): Promise<Omit<Cleared, 'path' | 'pid'>> {
  const processes = await stopProcesses(() => processesUsing(path), `working on ${path}`, log);
  const sources = mountSourcesBelow(path);
  const points = mountsBelow(path);
  for (const point of points) await unmount(point, log);
  const loops = new Set([...loopDevicesWhere((backing) => isAtOrBelow(backing, path)), ...loopDevicesAmong(sources)].filter((d) => !stillMounted(d)));
  for (const device of loops) {
    const file = loopBackingFile(device);
    if (file === undefined) continue;
    await removePartitionDevices(device, log);
    await detachLoop(device, file.replace(/ \(deleted\)$/, ''), log);
  }
  await removeTree(path, log);
  return { processes, mounts: points.length, loops: loops.size };
}

/**
 * Processes still working on `dir`: chrooted in it (chroot hooks), or started by the dead build
 * (host hooks and their children carry TARGET_ROOT and friends in their environment). Never this
 * process or the ones that started it (a shell whose variables happen to name the folder).
 */
export function processesUsing(dir: string): number[] {
  const spared = new Set(ancestry(process.pid).map(String));
  return findProcesses((pid) => {
    if (spared.has(pid)) return false;
    if (isAtOrBelow(readlinkSync(`/proc/${pid}/root`), dir)) return true;
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return environ.some((kv) => isAtOrBelow(kv.slice(kv.indexOf('=') + 1), dir));
  });
}

/** `pid` and its parents up to init. */
function ancestry(pid: number): number[] {
  const chain: number[] = [];
  for (let current = pid; current > 1 && !chain.includes(current);) {
    chain.push(current);
    try {
      // Field 4 of /proc/PID/stat, after the command name in parentheses.
      const stat = readFileSync(`/proc/${current}/stat`, 'utf8');
      current = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return chain;
}


/** Source devices of the mounts at or below `dir`. */
export function mountSourcesBelow(dir: string, mountinfo?: string): string[] {
  return mountTable(mountinfo).filter((m) => isAtOrBelow(m.point, dir)).map((m) => m.source);
}

/** The whole loop devices behind `sources` (/dev/loop3p1 is on /dev/loop3). */
export function loopDevicesAmong(sources: readonly string[]): string[] {
  return [...new Set(sources.map((s) => /^(\/dev\/loop\d+)(p\d+)?$/.exec(s)?.[1]).filter((d): d is string => d !== undefined))];
}

/** A loop device (or one of its partitions) that is still mounted somewhere else is not ours. */
function stillMounted(device: string): boolean {
  return mountTable().map((m) => m.source).some((s) => s === device || s.startsWith(`${device}p`));
}
