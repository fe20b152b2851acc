// Mounts as resources: each mount registers its unmount on the caller's ResourceStack the
// moment it succeeds. Unmounting retries (a process may still be exiting) and falls back to a
// lazy unmount, so a busy mount never aborts the rest of the cleanup (DIB bug 2004492). A mount
// target must be a real path (no symlink anywhere in it): the mount table only shows real paths,
// and a symlink in an image must never redirect a mount onto the host.
import { readFileSync, realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from './disposable-stack.js';
import { assertNoSymlinks, isAtOrBelow } from './safe-path.js';

/** What to mount where. */
export interface MountSpec {
  source: string;
  target: string;
  fstype?: string;
  options?: string[];
  /** A bind mount of `source` (a directory or file). */
  bind?: boolean;
  /** Remount read-only after binding (bind mounts need two steps). */
  readOnly?: boolean;
  log?: LogSink;
}

/** Mounts `spec` and registers its unmount on `stack`; the target must exist and be a real path. */
export async function mount(stack: ResourceStack, spec: MountSpec): Promise<void> {
  assertNoSymlinks(spec.target, 'mount on');
  const args = ['mount'];
  if (spec.bind) args.push('--bind');
  if (spec.fstype) args.push('-t', spec.fstype);
  const options = spec.bind ? [] : [...(spec.options ?? []), ...(spec.readOnly ? ['ro'] : [])];
  if (options.length) args.push('-o', options.join(','));
  args.push(spec.source, spec.target);
  await run(args, { privileged: true, log: spec.log, what: `mounting ${spec.source} on ${spec.target}` });
  stack.defer(`unmount ${spec.target}`, () => unmount(spec.target, spec.log));
  if (spec.bind && spec.readOnly) {
    await run(['mount', '-o', 'remount,bind,ro', spec.target], { privileged: true, log: spec.log });
  }
}

/** One line of /proc/self/mountinfo: where, and what is mounted there. */
export interface MountEntry {
  point: string;
  source: string;
  /** `major:minor` of the mounted filesystem's device (0:N for virtual filesystems and btrfs). */
  device: string;
}

/** The mount table (from /proc/self/mountinfo). */
export function mountTable(mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of mountinfo.split('\n')) {
    const [fields, superblock] = line.split(' - ');
    const columns = fields?.split(' ') ?? [];
    const point = columns[4];
    if (point) entries.push({ point: decodeMountPath(point), source: decodeMountPath(superblock?.split(' ')[1] ?? ''), device: columns[2] ?? '' });
  }
  return entries;
}

/** Mount points currently at or below `dir` (as given, or its real path), deepest first. */
export function mountsBelow(dir: string, mountinfo?: string): string[] {
  const real = realOrSelf(dir);
  const points = mountTable(mountinfo).map((m) => m.point).filter((p) => isAtOrBelow(p, dir) || isAtOrBelow(p, real));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function decodeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** True if `path` (or its real path) is a mount point right now. */
export function isMounted(path: string): boolean {
  const below = mountsBelow(path);
  return below.includes(path) || below.includes(realOrSelf(path));
}

/** Unmounts `target`, retrying for a few seconds, then lazily; no-op if it is not mounted. */
export async function unmount(target: string, log?: LogSink): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (!isMounted(target)) return;
    const result = await run(['umount', target], { privileged: true, log, allowFailure: true });
    if (result.exitCode === 0) return;
    await sleep(200 * (attempt + 1));
  }
  if (!isMounted(target)) return;
  log?.line('kiln', `${target} is still busy; detaching it lazily`);
  await run(['umount', '--lazy', target], { privileged: true, log, what: `unmounting ${target}` });
}

