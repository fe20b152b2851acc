// What a kiln process killed outright (SIGKILL, the OOM killer, a machine reset of the sandbox)
// leaves behind: no release could run, so its temp folder is still there with the mounts below
// it, the loop devices over files in it, and hooks still running against it. The next kiln
// command clears such folders before it starts, but only what is provably kiln's and provably
// dead: a folder named kiln-<kind>.<pid>.XXXXXX, owned by this user, mode 0700, holding kiln's
// marker whose process (pid, boot id, start time, pid namespace) no longer runs. A look-alike
// folder of another user, or a live build in another pid namespace, is left alone. The
// processes stopped are those whose root, working folder or open files are inside the folder,
// never ones that merely mention it. (diskimage-builder leaves all this to the user: `findmnt`,
// `umount`, `losetup -d` by hand.) Other kinds of leftovers (the build VM's) use clearLeftovers
// on their own folders.
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { LogSink } from '../log.js';
import { findProcesses, stopProcesses } from './chroot.js';
import { detachLoop, loopBackingFile, loopDevicesWhere } from './loop-device.js';
import { mountsBelow, mountTable, unmount } from './mount.js';
import { liveness, type Liveness, type ProcessIdentity } from './process-identity.js';
import { isAtOrBelow, resolveHostPath } from './safe-path.js';
import { removePartitionDevices } from './partition-devices.js';
import { removeTree } from './remove-tree.js';
import { parseTempName, readOwnerMarker } from './temp-dir.js';

/** What is known about a folder that looks like a kiln temp folder. */
export interface LeftoverFacts {
  name: string;
  stat: Pick<Stats, 'uid' | 'mode'> & { isDirectory(): boolean; isSymbolicLink(): boolean };
  marker: ProcessIdentity | undefined;
}

/** Why a folder is not cleared, or undefined when it is provably an abandoned kiln folder of ours (pure). */
export function keepReason(facts: LeftoverFacts, state: (p: ProcessIdentity) => Liveness, uid = euid()): string | undefined {
  const temp = parseTempName(facts.name);
  if (!temp) return 'not a kiln temp folder name';
  if (facts.stat.isSymbolicLink() || !facts.stat.isDirectory()) return 'not a folder';
  if (facts.stat.uid !== uid) return `owned by uid ${facts.stat.uid}, not this user`;
  if ((facts.stat.mode & 0o777) !== 0o700) return `mode ${(facts.stat.mode & 0o777).toString(8)}, not 700`;
  if (!facts.marker || facts.marker.pid !== temp.pid) return 'no kiln marker for its process';
  const now = state(facts.marker);
  return now === 'dead' ? undefined : now === 'alive' ? 'its kiln process still runs' : 'its kiln process cannot be seen from here (another pid namespace or machine)';
}

/** True while process `pid` exists (EPERM: it exists but belongs to someone else). Only for pids of
 * this pid namespace that cannot be reused unseen (the build service's own workers). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function euid(): number {
  return process.geteuid?.() ?? 0;
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

/** Clears every provably abandoned kiln temp folder of this user in `folder`. */
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
  for (const name of names.filter((n) => parseTempName(n) !== undefined)) {
    const path = join(parent, name);
    const facts = leftoverFacts(path, name);
    if (!facts || keepReason(facts, liveness) !== undefined) continue;
    const pid = facts.marker!.pid;
    try {
      cleared.push({ path, pid, ...(await clearFolder(path, log)) });
    } catch (error) {
      // Somebody else's mess must not stop this build; the line tells the user what to free.
      cleared.push({ path, pid, processes: 0, mounts: 0, loops: 0, failed: error instanceof Error ? error.message : String(error) });
    }
  }
  return cleared;
}

function leftoverFacts(path: string, name: string): LeftoverFacts | undefined {
  try {
    return { name, stat: lstatSync(path), marker: readOwnerMarker(path) };
  } catch {
    return undefined;
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
 * Processes still working in `dir`: chrooted in it (chroot hooks), with their working folder in
 * it (the build VM's QEMU), or holding a file in it open (a host hook's script, a tar writing a
 * layer). Never this process or the ones that started it.
 */
export function processesUsing(dir: string): number[] {
  const spared = new Set(ancestry(process.pid).map(String));
  const inside = (link: string): boolean => {
    try {
      return isAtOrBelow(readlinkSync(link), dir);
    } catch {
      return false;
    }
  };
  return findProcesses((pid) => {
    if (spared.has(pid)) return false;
    if (inside(`/proc/${pid}/root`) || inside(`/proc/${pid}/cwd`)) return true;
    return readdirSync(`/proc/${pid}/fd`).some((fd) => inside(`/proc/${pid}/fd/${fd}`));
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
