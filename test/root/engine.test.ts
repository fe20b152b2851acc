// The build engine on a real chroot, in seconds: fake-os (busybox + bash from the host) plus the
// probe flavour, which records what each phase's hook sees and fails or sleeps on demand.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtures, hostState, isRoot, kiln, start, type HostState } from '../helpers/host.js';
import { setTimeout as sleep } from 'node:timers/promises';

const CHROOT_PHASES = ['pre-install', 'install', 'post-install'];
const HOST_PHASES = ['root', 'extra-data', 'post-root', 'cleanup'];

describe.skipIf(!isRoot)('build engine (root, fake-os)', () => {
  let out: string;
  let before: HostState;
  let resolvBefore: string;

  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'kiln-engine-'));
    before = hostState();
    resolvBefore = readFileSync('/etc/resolv.conf', 'utf8');
  });
  afterEach(() => {
    try {
      expect(hostState()).toEqual(before);
      expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(resolvBefore);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  const args = (...extra: string[]) => ['-n', '-t', 'tar', '-o', join(out, 'img'), '--flavours-path', fixtures, '--image-cache', join(out, 'cache'), '--no-cache', ...extra, 'fake-os', 'probe'];
  const env = (extra: Record<string, string> = {}) => ({ KILN_PROBE_OUT: join(out, 'probe-host'), DIB_PROBE_USER_VAR: 'from-user', ...extra });
  const fromTar = (member: string): string => execFileSync('tar', ['-xOf', join(out, 'img.tar'), '--wildcards', `*${member}`]).toString();
  const record = (text: string): Record<string, string> => Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

  it('runs every phase in order, on the host or in the chroot, with the DIB environment', async () => {
    const result = await kiln('disk-image-create', args(), env());
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    for (const phase of CHROOT_PHASES) {
      const seen = record(fromTar(`var/log/kiln-probe/${phase}`));
      expect(seen).toMatchObject({
        where: 'chroot', flavour: 'probe', TMP_HOOKS_PATH: '/tmp/in_target.d', HOME: '/root', LANG: 'C.UTF-8',
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/tmp/in_target.d/.kiln/bin', ARCH: 'amd64', DISTRO_NAME: 'fake', DIB_RELEASE: 'one',
        PROBE_FROM_SNIPPET: 'sourced-fake', DIB_PROBE_USER_VAR: 'from-user', IMAGE_ELEMENT: 'fake-os probe', hooks_writable: 'no', policy_rc_d: 'present',
      });
      expect(seen.resolv).not.toContain('the image own resolv.conf');
    }
    for (const phase of HOST_PHASES) {
      const seen = record(readFileSync(join(out, 'probe-host', phase), 'utf8'));
      expect(seen.where).toBe('host');
      expect(seen.TARGET_ROOT).toMatch(/kiln-build\.[^/]+\/root$/);
      expect(seen.IMAGE_NAME).toBe(join(out, 'img'));
      // DIB's own root.d hooks lock their downloads in DIB_LOCKFILES: set and created, in the cache.
      expect(seen.DIB_LOCKFILES).toBe(join(out, 'cache/lockfiles'));
      expect(seen.lockfiles_dir).toBe('yes');
    }
    expect(record(readFileSync(join(out, 'probe-host', 'extra-data'), 'utf8')).hooks_writable).toBe('yes');
    expect(existsSync(join(out, 'probe-host', 'finalise'))).toBe(false);
    expect(fromTar('etc/resolv.conf')).toContain('the image own resolv.conf');
    expect(execFileSync('tar', ['-tf', join(out, 'img.tar')]).toString()).not.toMatch(/policy-rc\.d|in_target\.d\//);
    expect(result.stderr).toMatch(/Timing \(seconds\):[\s\S]*install\.d[\s\S]*install\.d\/50-probe-install \(probe\)[\s\S]*total/);
    const log = readFileSync(join(out, 'img.log'), 'utf8');
    expect(log).toMatch(/probe\/install\.d\/50-probe-install \| probe install ran \(chroot\)/);
  });

  it.each([...HOST_PHASES, ...CHROOT_PHASES])('a failing %s hook ends the build with flavour, phase, hook, code and output tail', async (phase) => {
    const result = await kiln('disk-image-create', args(), env({ KILN_PROBE_FAIL: phase }));
    expect(result.code).toBe(1);
    const where = CHROOT_PHASES.includes(phase) ? 'in chroot' : 'on host';
    expect(result.stderr).toContain(`hook ${phase}.d/50-probe-${phase} (flavour probe, phase ${phase}, ${where}) exited with code 3`);
    expect(result.stderr).toContain('probe: last words');
    expect(result.stderr).toContain(`full log: ${join(out, 'img.log')}`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(out).filter((f) => f.startsWith('img.tar'))).toEqual([]);
    // The timing table up to the failing hook, before the error.
    expect(result.stderr).toMatch(new RegExp(`Timing \\(seconds\\):[\\s\\S]*${phase}\\.d\\s+[\\d.]+  failed\\n[\\s\\S]*?${phase}\\.d/50-probe-${phase} \\(probe\\)\\s+[\\d.]+  failed[\\s\\S]*total[\\s\\S]*hook ${phase}\\.d/50-probe`));
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
    ['SIGHUP', 129],
    ['SIGQUIT', 131],
  ] as const)('%s in the middle of a chroot hook stops the build and cleans up', async (signal, code) => {
    const { child, done } = await startUntilHookSleeps(out, args(), env({ KILN_PROBE_SLEEP: 'install', KILN_PROBE_SLEEP_MARK: '/tmp/sleeping' }));
    child.kill(signal);
    const result = await done;
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(`build interrupted by ${signal}`);
    expect(result.stderr).toMatch(/install\.d\/50-probe-install \(probe\)\s+[\d.]+  stopped/);
    expect(existsSync(join(out, 'img.tar'))).toBe(false);
  });

  it('a second Ctrl-C kills the hook at once and still cleans up', async () => {
    writeFileSync(join(out, 'trap'), '');
    const { child, done } = await startUntilHookSleeps(out, args(), env({ KILN_PROBE_SLEEP: 'install', KILN_PROBE_SLEEP_MARK: '/tmp/sleeping', KILN_PROBE_IGNORE_TERM: '1' }));
    child.kill('SIGINT');
    await sleep(500);
    child.kill('SIGINT');
    const started = Date.now();
    const result = await done;
    expect(Date.now() - started).toBeLessThan(4000);
    expect(result.code).toBe(130);
  });
});

describe.skipIf(!isRoot)('disk images on fake-os (root)', () => {
  let out: string;
  let before: HostState;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'kiln-disk-'));
    before = hostState();
  });
  afterEach(() => {
    try {
      expect(hostState()).toEqual(before);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
  const args = (...extra: string[]) => ['-n', '-t', 'raw,qcow2', '--image-size', '200M', '-o', join(out, 'disk'), '--flavours-path', fixtures, '--image-cache', join(out, 'cache'), '--no-cache', ...extra, 'fake-os', 'probe', 'block-device-mbr'];
  const outputs = () => readdirSync(out).filter((f) => f.startsWith('disk.') && !f.endsWith('.log'));

  it('runs the disk phases with the block-device environment and writes both formats', async () => {
    const result = await kiln('disk-image-create', args(), { KILN_PROBE_OUT: join(out, 'probe-host') });
    expect(result.code, result.stderr).toBe(0);
    // The two formats, and what describes them: the manifest, the SBOMs and DIB's manifest folder.
    expect(outputs().sort()).toEqual(['disk.cdx.json', 'disk.d', 'disk.manifest.json', 'disk.qcow2', 'disk.raw', 'disk.spdx.json']);
    const size = readFileSync(join(out, 'probe-host', 'block-device-size'), 'utf8');
    expect(size).toMatch(/IMAGE_SIZE=1\n/);
    expect(size).toMatch(/KILN_TREE_SIZE=\d+/);
    expect(readFileSync(join(out, 'probe-host', 'block-device'), 'utf8')).toMatch(/IMAGE_BLOCK_DEVICE=\/dev\/loop\d+\n/);
    expect(readFileSync(join(out, 'probe-host', 'pre-finalise'), 'utf8')).toMatch(/TARGET_ROOT=.*\/mnt\n/);
  });

  it('a failing finalise hook leaves no loop device, mount or partial output', async () => {
    const result = await kiln('disk-image-create', args(), { KILN_PROBE_FAIL: 'finalise' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('hook finalise.d/50-probe-finalise (flavour probe, phase finalise, in chroot) exited with code 3');
    expect(outputs()).toEqual([]);
  });

  it('SIGINT while the image is attached (in finalise.d) releases everything', async () => {
    const { child, done } = await startUntilHookSleeps(out, args(), { KILN_PROBE_SLEEP: 'finalise', KILN_PROBE_SLEEP_MARK: '/tmp/sleeping' });
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    expect(outputs()).toEqual([]);
  });

  it('a build killed outright (SIGKILL) while the image is attached is cleared by the next kiln command', async () => {
    const { child, done } = await startUntilHookSleeps(out, args(), { KILN_PROBE_SLEEP: 'finalise', KILN_PROBE_SLEEP_MARK: '/tmp/sleeping' });
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    // Nothing could run its releases: the work folder, its mounts, the disk's loop device and the
    // chrooted hook are all still there.
    const left = hostState();
    const work = left.tempDirs.filter((d) => !before.tempDirs.includes(d));
    expect(work).toEqual([expect.stringMatching(new RegExp(`^kiln-build\\.${child.pid}\\.`))]);
    expect(left.mounts.filter((m) => m.includes(work[0]!)).length).toBeGreaterThan(3);
    expect(left.loops.length).toBeGreaterThan(before.loops.length);
    expect(findSleepingHook(out)).toBe(true);

    const next = await kiln('disk-image-create', args(), {});
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`cleared ${join(tmpdir(), work[0]!)}, left by kiln process ${child.pid}`);
    expect(next.stderr).toMatch(/\d+ process(es)? stopped, \d+ mounts, 1 loop device\)/);
    expect(findSleepingHook(out)).toBe(false);
  });

  it('a bad block-device config is one clear line, before anything is built', async () => {
    const config = '- local_loop:\n    name: image0\n- mkfs:\n    name: root_fs\n    base: nothing_here\n    type: ext4\n';
    const result = await kiln('disk-image-create', args(), { DIB_BLOCK_DEVICE_CONFIG: config });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DIB_BLOCK_DEVICE_CONFIG.*nothing_here/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

/** Starts a build and waits until the probe's hook sleeps in it. */
async function startUntilHookSleeps(out: string, args: string[], env: Record<string, string>): Promise<ReturnType<typeof start>> {
  const started = start('disk-image-create', args, env);
  const deadline = Date.now() + 60_000;
  while (!findSleepingHook(out) && Date.now() < deadline) await sleep(100);
  expect(findSleepingHook(out)).toBe(true);
  return started;
}

/** True once the probe's `sleep 300` of the build writing into `out` runs (in the chroot or on
 * the host); other test runs on the same machine have their own sleeping hooks. */
function findSleepingHook(out: string): boolean {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const ours = readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`IMAGE_NAME=${out}/`);
      if (ours && readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\u0000300\u0000') return true;
    } catch {
      // gone
    }
  }
  return false;
}
