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

/** Guest folders nothing of the host is ever mounted on or below: virtual filesystems, kiln's own. */
const GUEST_VIRTUAL = ['/proc', '/sys', '/dev', '/run', '/kiln'];
/** Guest folders whose existing files a host file must not replace: the build VM's own system. */
const GUEST_SYSTEM = ['/usr', '/etc', '/boot', '/bin', '/sbin', '/lib', '/lib64', '/opt/kiln'];

const inside = (path: string, dirs: readonly string[]): string | undefined => dirs.find((dir) => path === dir || path.startsWith(`${dir}/`));

/**
 * Why `target` cannot take a host folder (or, with `file`, a host file) in the guest, or
 * undefined (pure over the probe). A folder may go anywhere it hides nothing of the builder
 * image (DIB's elements under /usr/lib/python3/... are fine); a file may replace the builder's
 * own only outside its system folders. kiln's own /kiln/... mounts pass `internal`.
 */
export function mountTargetProblem(target: string, probe: { exists: (p: string) => boolean; emptyDir: (p: string) => boolean },
  kind: { internal?: boolean; file?: boolean } = {}): string | undefined {
  if (!target.startsWith('/') || normalize(target) !== target || target === '/') return `${target} is not a normalised absolute path below /`;
  const virtual = inside(target, GUEST_VIRTUAL);
  if (virtual && !(kind.internal && virtual === '/kiln')) return `${target} is inside ${virtual}, which the build VM needs for itself`;
  if (!probe.exists(target)) return undefined;
  if (kind.file) {
    const system = inside(target, GUEST_SYSTEM);
    return system ? `${target} would replace the build VM's own file in ${system}` : undefined;
  }
  return probe.emptyDir(target) ? undefined : `${target} already holds files of the builder image`;
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
    if (problem) throw new KilnError(`cannot share the host folder ${share.target} with the build VM: ${problem}`, { exitCode: 2, hint: 'put the flavours somewhere the builder image has nothing (your home, /srv, /opt/<name>)' });
    await mkdir(share.target, { recursive: true });
    // cache=loose: the flavours and the cache do not change under a build, and the host reads
    // what the guest writes only after the guest unmounted (which writes everything back); it
    // lets writes go out in msize pieces instead of one round trip per write (tar writes 10 KiB
    // blocks: 1 MB/s under emulation without it).
    const options = ['trans=virtio', 'version=9p2000.L', 'msize=262144', 'cache=loose', ...(share.readOnly ? ['ro'] : [])];
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
