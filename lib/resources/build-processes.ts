// Every process a build starts is tracked as one unit: a cgroup of its own. kiln moves itself
// into it before the first command, so everything started afterwards is in it too, whatever it
// does (a hook's `sleep &` that outlives the hook, a daemon behind `sudo`, a double fork): the
// kernel keeps the membership, no environment marker or process tree can lose it, and no
// process that is not the build's can be in it (only root moves processes between cgroups).
// When the build ends, whatever of the unit is still alive is stopped (TERM, a short wait, KILL)
// and named in one warning; kiln then moves back and removes the cgroup. A v1 pids or freezer
// hierarchy is used, else cgroup v2 (the build VM); with no cgroup filesystem the build goes on
// untracked, as before (each command's own process group is still stopped with it).
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KilnError } from '../errors.js';
import { run, shellQuote } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { printable } from '../report/printable.js';
import type { ResourceStack } from './disposable-stack.js';

/** A mounted cgroup hierarchy kiln can put a build in. */
export interface Hierarchy {
  mountPoint: string;
  /** The v1 controller it carries (pids, freezer), or undefined for cgroup v2. */
  controller: 'pids' | 'freezer' | undefined;
}

/** A process of the build still alive at its end. */
export interface Straggler {
  pid: number;
  argv: string[];
}

/** Folder under a hierarchy's root that holds one cgroup per running build. */
const PARENT = 'kiln';
/** How long stopped processes get between TERM and KILL, and KILL and giving up. */
const GRACE_MS = 2000;
/** Age below which another build's cgroup is never cleared: its kiln may not have moved in yet. */
const MIN_AGE_MS = 60_000;

const unescapeMount = (field: string): string => field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/** The hierarchy to track builds in, from /proc/self/mountinfo: v1 pids, v1 freezer, then v2 (pure). */
export function pickHierarchy(mountinfo: string): Hierarchy | undefined {
  const found: Hierarchy[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    const mountPoint = before?.split(' ')[4];
    const [fstype, , superOptions] = after?.split(' ') ?? [];
    if (!mountPoint) continue;
    const options = superOptions?.split(',') ?? [];
    if (fstype === 'cgroup2') found.push({ mountPoint: unescapeMount(mountPoint), controller: undefined });
    for (const controller of ['pids', 'freezer'] as const) {
      if (fstype === 'cgroup' && options.includes(controller)) found.push({ mountPoint: unescapeMount(mountPoint), controller });
    }
  }
  const rank = (h: Hierarchy): number => (h.controller === 'pids' ? 0 : h.controller === 'freezer' ? 1 : 2);
  return found.sort((a, b) => rank(a) - rank(b))[0];
}

/** The cgroup of a process in `hierarchy`, from its /proc/PID/cgroup (pure). */
export function cgroupIn(procCgroup: string, hierarchy: Hierarchy): string | undefined {
  for (const line of procCgroup.split('\n')) {
    const match = /^\d+:([^:]*):(\/.*)$/.exec(line);
    if (!match) continue;
    const controllers = match[1]!.split(',');
    if (hierarchy.controller ? controllers.includes(hierarchy.controller) : match[1] === '') return match[2];
  }
  return undefined;
}

/** Pids listed in a cgroup.procs file, without `self` (pure). */
export function listedPids(cgroupProcs: string, self: number): number[] {
  return cgroupProcs.split('\n').filter((l) => /^\d+$/.test(l)).map(Number).filter((pid) => pid !== self);
}

/** The one warning line naming what was stopped, commands escaped and shortened (pure). */
export function describeStragglers(stopped: readonly Straggler[], whose = 'the build'): string {
  const shown = stopped.map(({ pid, argv }) => {
    const command = (argv.length ? printable(shellQuote(argv)) : '(no command line: exited)').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
    return `${pid} ${command.length > 80 ? `${command.slice(0, 80)}…` : command}`;
  });
  const what = stopped.length === 1 ? 'a process' : `${stopped.length} processes`;
  return `stopped ${what} ${whose} started and left running: ${shown.join('; ')}`;
}

/** Who made a build's cgroup: the user, kiln's pid and the pid namespace that pid is in. */
export interface Maker {
  uid: number;
  pidNamespace: number;
  pid: number;
}

/** The name of a build's cgroup: its maker and a random part (pure). */
export function cgroupName(maker: Maker, random: string): string {
  return `build-${maker.uid}-${maker.pidNamespace}-${maker.pid}-${random}`;
}

/**
 * True when `name` is the cgroup of a build by `self`'s user whose kiln is gone (pure): the kiln
 * named in it is no longer a member (a kiln moves out only after stopping the rest) and either no
 * such process exists or the cgroup is old enough that its kiln cannot be about to move in (the
 * pid may be reused). `members` and the probe see pids of `self`'s pid namespace, so a cgroup made
 * in another one (a build in a container) is never judged, nor is another user's, as the
 * leftover cleaner never touches another user's folders.
 */
export function isDeadBuild(name: string, members: readonly number[], self: Omit<Maker, 'pid'>, probe: { ageMs: number; kilnExists: (pid: number) => boolean }): boolean {
  const match = /^build-(\d+)-(\d+)-(\d+)-[0-9a-f]+$/.exec(name);
  if (match === null || Number(match[1]) !== self.uid || Number(match[2]) !== self.pidNamespace) return false;
  const kiln = Number(match[3]);
  return !members.includes(kiln) && (!probe.kilnExists(kiln) || probe.ageMs >= MIN_AGE_MS);
}

/** The build's processes: stop() ends whatever of them is still alive. */
export interface BuildProcesses {
  /** Stops the build's remaining processes (TERM, a short wait, KILL); returns what it stopped. */
  stop(): Promise<Straggler[]>;
}

/** A build's cgroup is per process: one build at a time can own kiln's process. */
let active = false;

/**
 * Puts kiln (and so every process it starts from now on) in a new cgroup for this build; on the
 * stack: stopping what is left, moving kiln back and removing the cgroup. `warn` receives the
 * one line naming what was stopped. Untracked (and said in the log) when no cgroup is usable.
 */
export async function trackBuildProcesses(stack: ResourceStack, log: LogSink, warn: (message: string) => void): Promise<BuildProcesses> {
  const untracked: BuildProcesses = { stop: async () => [] };
  const hierarchy = pickHierarchy(readFileSync('/proc/self/mountinfo', 'utf8'));
  const home = hierarchy && cgroupIn(readFileSync('/proc/self/cgroup', 'utf8'), hierarchy);
  if (active || !hierarchy || home === undefined) {
    log.line('kiln', active ? 'processes tracked by the enclosing build' : 'no cgroup hierarchy: the build\'s processes are not tracked as a unit');
    return untracked;
  }
  const maker: Maker = { uid: process.getuid?.() ?? 0, pidNamespace: pidNamespace(), pid: process.pid };
  await clearDeadBuilds(join(hierarchy.mountPoint, PARENT), maker, log, warn);
  const cgroup = join(hierarchy.mountPoint, PARENT, cgroupName(maker, randomBytes(6).toString('hex')));
  try {
    await run(['mkdir', '-p', cgroup], { privileged: true, log, what: 'creating the build\'s cgroup' });
    stack.defer(`build cgroup ${cgroup}`, () => removeCgroup(cgroup, log));
    await moveSelf(cgroup, log);
  } catch (error) {
    // A cgroup filesystem kiln may not write (a container's read-only /sys): build as before.
    warn(`the build's processes are not tracked as a unit: ${error instanceof KilnError ? error.message.split('\n')[0] : String(error)}`);
    return untracked;
  }
  active = true;
  let reported = false;
  const stop = async (): Promise<Straggler[]> => {
    const stopped = await stopAll(cgroup, log);
    if (stopped.length && !reported) warn(describeStragglers(stopped));
    reported ||= stopped.length > 0;
    return stopped;
  };
  stack.defer(`processes of the build (cgroup ${cgroup})`, async () => {
    try {
      await stop();
    } finally {
      await moveSelf(join(hierarchy.mountPoint, home), log);
      active = false;
    }
  });
  log.line('kiln', `the build's processes are tracked in cgroup ${cgroup}`);
  return { stop };
}

/** The inode of kiln's pid namespace. */
function pidNamespace(): number {
  return Number(/\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? 0);
}

/** Stops what killed builds of `self`'s user and pid namespace left running and removes their cgroups. */
async function clearDeadBuilds(parent: string, self: Maker, log: LogSink, warn: (message: string) => void): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return; // no build has run here yet
  }
  for (const name of names) {
    const cgroup = join(parent, name);
    try {
      const age = Date.now() - statSync(cgroup).mtimeMs;
      const pids = listedPids(readFileSync(join(cgroup, 'cgroup.procs'), 'utf8'), process.pid);
      if (!isDeadBuild(name, pids, self, { ageMs: age, kilnExists: (pid) => existsSync(`/proc/${pid}`) })) continue;
      const stopped = await stopAll(cgroup, log);
      if (stopped.length) warn(describeStragglers(stopped, `a killed build (cgroup ${name})`));
      await removeCgroup(cgroup, log);
    } catch (error) {
      log.line('kiln', `clearing the cgroup ${cgroup} of a killed build: ${String(error)}`);
    }
  }
}

/** Removes a cgroup (rmdir: a cgroup folder is never empty to rm), unless already gone. */
async function removeCgroup(cgroup: string, log: LogSink): Promise<void> {
  // Another build of the same user may be clearing it as the cgroup of a killed build.
  const result = await run(['rmdir', '--', cgroup], { privileged: true, allowFailure: true, log });
  if (result.exitCode !== 0 && existsSync(cgroup)) throw new KilnError(`could not remove the build's cgroup ${cgroup}: ${result.tail.join(' ')}`);
}

/** Moves kiln's own process (all its threads) into `cgroup`: only root may, so through tee. */
async function moveSelf(cgroup: string, log: LogSink): Promise<void> {
  await run(['tee', join(cgroup, 'cgroup.procs')], { privileged: true, input: `${process.pid}\n`, captureStdout: false, log, what: `moving kiln into cgroup ${cgroup}` });
}

/** The processes of `cgroup` but kiln, with their command lines. */
function members(cgroup: string): Straggler[] {
  return listedPids(readFileSync(join(cgroup, 'cgroup.procs'), 'utf8'), process.pid).map((pid) => ({ pid, argv: commandOf(pid) }));
}

function commandOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return [];
  }
}

/** TERM to every member, up to GRACE_MS for them to go, then KILL; returns who was signalled. */
async function stopAll(cgroup: string, log: LogSink): Promise<Straggler[]> {
  const first = members(cgroup);
  if (!first.length) return [];
  for (const signal of ['TERM', 'KILL'] as const) {
    const left = signal === 'TERM' ? first : members(cgroup);
    if (!left.length) break;
    // Only members are signalled. A member that exits between the read and the kill leaves its
    // pid free, but the kernel hands it out again only after cycling through pid_max, not within
    // these milliseconds; kill on a gone pid fails harmlessly.
    await run(['kill', '-s', signal, '--', ...left.map((p) => String(p.pid))], { privileged: true, allowFailure: true, log });
    await waitEmpty(cgroup);
  }
  const survivors = members(cgroup);
  if (survivors.length) throw new KilnError(`processes of the build survived SIGKILL: ${describeStragglers(survivors)}`);
  return first;
}

async function waitEmpty(cgroup: string): Promise<void> {
  const deadline = Date.now() + GRACE_MS;
  while (members(cgroup).length && Date.now() < deadline) await sleep(50);
}
