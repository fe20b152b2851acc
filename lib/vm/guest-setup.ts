// Inside the build VM, before the build: the scratch disk becomes the work folder, the host's
// folders are mounted where the job says (flavour folders at their host paths, so the plan and
// the cache keys are the same as on the host), the cache becomes a writable overlay over the
// host's read-only one, and the host files the build reads are bound at their host paths.
// Everything is registered on the agent's stack.
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { KilnError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from '../resources/disposable-stack.js';
import { mount } from '../resources/mount.js';
import type { GuestJob } from './protocol.js';

/** Guest folders a host folder may never be mounted on or below (the guest's own system). */
const GUEST_SYSTEM = ['/proc', '/sys', '/dev', '/run', '/usr', '/etc', '/boot', '/bin', '/sbin', '/lib', '/lib64', '/opt/kiln', '/kiln'];

/**
 * Why `target` cannot take a host folder (or, with `file`, a host file) in the guest, or
 * undefined (pure over the probe). kiln's own /kiln/... mounts pass `internal`.
 */
export function mountTargetProblem(target: string, probe: { exists: (p: string) => boolean; emptyDir: (p: string) => boolean },
  kind: { internal?: boolean; file?: boolean } = {}): string | undefined {
  if (!target.startsWith('/') || normalize(target) !== target || target === '/') return `${target} is not a normalised absolute path below /`;
  const system = GUEST_SYSTEM.find((dir) => target === dir || target.startsWith(`${dir}/`));
  if (system && !(kind.internal && system === '/kiln')) return `${target} is inside ${system}, which the build VM needs for itself`;
  // A folder mounted over one of the builder's would hide its files; a file only replaces itself.
  if (!kind.file && probe.exists(target) && !probe.emptyDir(target)) return `${target} already holds files of the builder image`;
  return undefined;
}

const realProbe = {
  exists: (p: string): boolean => existsSync(p),
  emptyDir: (p: string): boolean => lstatSync(p).isDirectory() && readdirSync(p).length === 0,
};

/** Formats the scratch disk and mounts it on the work folder; returns the TMPDIR for the build. */
export async function mountWorkDisk(stack: ResourceStack, job: GuestJob, log: LogSink): Promise<string> {
  // The disk is new and empty: skip zeroing the inode tables, now (mkfs) and later (the kernel).
  await run(['mkfs.ext4', '-q', '-F', '-m', '0', '-E', 'lazy_itable_init=1,lazy_journal_init=1', '-L', 'kiln-work', job.workDevice], { log, what: 'formatting the scratch disk' });
  await mkdir(job.workMount, { recursive: true });
  await mount(stack, { source: job.workDevice, target: job.workMount, fstype: 'ext4', options: ['noinit_itable'], log });
  const tmp = join(job.workMount, 'tmp');
  await mkdir(tmp, { recursive: true, mode: 0o1777 });
  return tmp;
}

/** Mounts the shares, the cache overlay and the input files, in that order. */
export async function mountShares(stack: ResourceStack, job: GuestJob, log: LogSink): Promise<void> {
  for (const share of job.mounts) {
    const problem = mountTargetProblem(share.target, realProbe, { internal: share.target.startsWith('/kiln/') });
    if (problem) throw new KilnError(`cannot share the host folder ${share.target} with the build VM: ${problem}`, { exitCode: 2, hint: 'keep flavours and the files builds read outside the system folders (/usr, /etc, ...)' });
    await mkdir(share.target, { recursive: true });
    // The flavours and the cache do not change under a build: let the guest cache them.
    const options = ['trans=virtio', 'version=9p2000.L', 'msize=262144', share.readOnly ? 'cache=loose' : 'cache=none', ...(share.readOnly ? ['ro'] : [])];
    await mount(stack, { source: share.tag, target: share.target, fstype: '9p', options, log });
  }
  await mountCacheOverlay(stack, job, log);
  for (const file of job.files) {
    const problem = mountTargetProblem(file.target, realProbe, { file: true });
    if (problem) throw new KilnError(`cannot give the build VM the host file ${file.target}: ${problem}`, { exitCode: 2 });
    await mkdir(dirname(file.target), { recursive: true });
    if (!existsSync(file.target)) await writeFile(file.target, '');
    await mount(stack, { source: file.source, target: file.target, bind: true, readOnly: true, log });
  }
}

/** The upper folder of the cache overlay: what the build added to the cache. */
export function cacheUpper(job: GuestJob): string {
  return join(job.workMount, 'cache-upper');
}

async function mountCacheOverlay(stack: ResourceStack, job: GuestJob, log: LogSink): Promise<void> {
  const upper = cacheUpper(job);
  const work = join(job.workMount, 'cache-work');
  await mkdir(upper, { recursive: true });
  await mkdir(work, { recursive: true });
  await mkdir(job.cache.target, { recursive: true });
  await mount(stack, { source: 'kiln-cache', target: job.cache.target, fstype: 'overlay', options: [`lowerdir=${job.cache.lower}`, `upperdir=${upper}`, `workdir=${work}`], log });
}
