// Stopping a build stops every process it started, and only those: a root.d hook leaves a sleep
// running in the background and exits; after the build (finished, or stopped by SIGTERM in a later
// hook, or run by an ordinary member of group kiln with a root sleep behind $KILN_SUDO) no such
// sleep is alive, the warning names it, the build's cgroup is gone, and a sleep with the same
// command line started outside the build lives on.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bin, fixtures, isRoot, kiln, leakCheckedFolder, start } from '../../helpers/host.js';
import { addKilnMember } from '../../helpers/kiln-member.js';

const USER = 'kilnstray';
/** Sleep lengths no one else uses, one per case, so the test sees only its own processes. */
const MARK = { done: '31391', stopped: '31392', user: '31393', root: '31394', killed: '31395' } as const;

const running = (mark: string): number[] =>
  spawnSync('pgrep', ['-x', '-f', `sleep ${mark}`]).stdout.toString().split('\n').filter(Boolean).map(Number);
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** The cgroup the build's log says it used. */
const cgroupOf = (log: string): string => /processes are tracked in cgroup (\S+)/.exec(readFileSync(log, 'utf8'))?.[1] ?? 'none in the log';

describe.skipIf(!isRoot)('a build stops every process it started (root, fake-os)', () => {
  const dir = leakCheckedFolder('kiln-stray-');
  const decoys: ChildProcess[] = [];
  /** A sleep with the build's mark, started outside the build: it must survive. */
  const decoy = (mark: string): ChildProcess => {
    const child = spawn('sleep', [mark], { stdio: 'ignore' });
    decoys.push(child);
    return child;
  };
  afterEach(() => {
    for (const child of decoys.splice(0)) child.kill('SIGKILL');
  });
  afterAll(() => {
    for (const mark of Object.values(MARK)) spawnSync('pkill', ['-KILL', '-x', '-f', `sleep ${mark}`]);
  });
  const args = (out: string, ...flavours: string[]) => ['-n', '-t', 'tar', '-o', join(out, 'img'), '--flavours-path', fixtures, '--image-cache', join(out, 'cache'), '--no-cache', 'fake-os', 'stray-processes', ...flavours];

  it('after a successful build the background process a hook left is gone, a look-alike outside lives', async () => {
    const outside = decoy(MARK.done);
    const result = await kiln('disk-image-create', args(dir.path), { KILN_STRAY_MARK: MARK.done });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`warning: stopped a process the build started and left running: \\d+ sleep ${MARK.done}\\n`));
    expect(running(MARK.done)).toEqual([outside.pid]);
    expect(alive(outside.pid!)).toBe(true);
    expect(existsSync(cgroupOf(join(dir.path, 'img.log')))).toBe(false);
  });

  /** Starts a build whose root.d leaves `mark` running, and waits until install.d sleeps in the chroot. */
  const startUntilInstall = async (mark: string, outside: ChildProcess): Promise<ReturnType<typeof start>> => {
    const started = start('disk-image-create', args(dir.path, 'probe'), {
      KILN_STRAY_MARK: mark, KILN_PROBE_SLEEP: 'install', KILN_PROBE_SLEEP_MARK: '/tmp/sleeping', KILN_PROBE_OUT: join(dir.path, 'probe-host'),
    });
    const deadline = Date.now() + 60_000;
    while (!running(mark).some((pid) => pid !== outside.pid) || !sleepingHook(dir.path)) {
      if (Date.now() > deadline) throw new Error('the build never reached install.d');
      await sleep(100);
    }
    return started;
  };

  it('a build stopped by SIGTERM in a later hook stops it too', async () => {
    const outside = decoy(MARK.stopped);
    const { child, done } = await startUntilInstall(MARK.stopped, outside);
    child.kill('SIGTERM');
    const result = await done;
    expect(result.code, result.stderr).toBe(143);
    expect(result.stderr).toContain('build interrupted by SIGTERM');
    expect(result.stderr).toMatch(new RegExp(`stopped (a process|\\d+ processes) the build started and left running: .*\\d+ sleep ${MARK.stopped}`));
    expect(running(MARK.stopped)).toEqual([outside.pid]);
    expect(existsSync(cgroupOf(join(dir.path, 'img.log')))).toBe(false);
  });

  it('what a build killed outright left running is stopped by the next build of the same user', async () => {
    const outside = decoy(MARK.killed);
    const { child, done } = await startUntilInstall(MARK.killed, outside);
    const cgroup = cgroupOf(join(dir.path, 'img.log'));
    child.kill('SIGKILL');
    await done;
    expect(running(MARK.killed)).toHaveLength(2);
    const result = await kiln('disk-image-create', args(dir.path));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`stopped (a process|\\d+ processes) a killed build \\(cgroup ${basename(cgroup)}\\) started and left running: .*\\d+ sleep ${MARK.killed}`));
    expect(running(MARK.killed)).toEqual([outside.pid]);
    expect(existsSync(cgroup)).toBe(false);
  });

  describe('in sudo mode (an ordinary member of group kiln)', () => {
    let removeMember: () => void = () => undefined;
    beforeAll(() => {
      removeMember = addKilnMember(USER);
    });
    afterAll(() => removeMember());

    it('the root process started through $KILN_SUDO and the builder\'s own are gone, a root look-alike lives', async () => {
      const outside = decoy(MARK.root);
      const uid = Number(execFileSync('id', ['-u', USER]).toString());
      const gid = Number(execFileSync('id', ['-g', USER]).toString());
      chownSync(dir.path, uid, gid);
      const result = await kiln('/usr/sbin/runuser', ['-u', USER, '--', bin('disk-image-create'), ...args(dir.path)], {
        TMPDIR: dir.path, KILN_STRAY_MARK: MARK.user, KILN_STRAY_ROOT_MARK: MARK.root,
      }, '/');
      expect(result.code, result.stderr).toBe(0);
      const warning = result.stderr.split('\n').find((l) => l.includes('left running')) ?? '';
      expect(warning).toContain(`sleep ${MARK.user}`);
      expect(warning).toContain(`sleep ${MARK.root}`);
      expect(running(MARK.user)).toEqual([]);
      expect(running(MARK.root)).toEqual([outside.pid]);
      expect(existsSync(cgroupOf(join(dir.path, 'img.log')))).toBe(false);
    });
  });
});

/** True once the probe's install.d hook of the build writing into `out` sleeps. */
function sleepingHook(out: string): boolean {
  for (const pid of spawnSync('pgrep', ['-x', '-f', 'sleep 300']).stdout.toString().split('\n').filter(Boolean)) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`IMAGE_NAME=${out}/`)) return true;
    } catch {
      // gone
    }
  }
  return false;
}
