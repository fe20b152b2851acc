import { describe, expect, it } from 'vitest';
import { ResourceStack } from '../../lib/resources/disposable-stack.js';
import { mountsBelow, mountTable } from '../../lib/resources/mount.js';
import { spawn } from 'node:child_process';
import { clearLeftovers, describeCleared, keepReason, loopDevicesAmong, mountSourcesBelow, processesUsing } from '../../lib/resources/leftovers.js';
import { selfIdentity } from '../../lib/resources/process-identity.js';
import { OWNER_MARKER, parseTempName, tempPrefix } from '../../lib/resources/temp-dir.js';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideTmpfs, memTotal } from '../../lib/engine/work-dir.js';

describe('ResourceStack', () => {
  it('releases in reverse order, also when the body throws, through `await using`', async () => {
    const order: string[] = [];
    const body = async (): Promise<void> => {
      await using stack = new ResourceStack();
      stack.defer('a', () => void order.push('release a'));
      stack.defer('b', async () => void order.push('release b'));
      order.push('body');
      throw new Error('hook failed');
    };
    await expect(body()).rejects.toThrow('hook failed');
    expect(order).toEqual(['body', 'release b', 'release a']);
  });
  it('runs every release even if some fail, and reports all failures', async () => {
    const order: string[] = [];
    const stack = new ResourceStack();
    stack.defer('first', () => void order.push('first'));
    stack.defer('second', () => {
      throw new Error('umount busy');
    });
    stack.defer('third', () => {
      throw new Error('losetup -d failed');
    });
    await expect(stack.disposeAsync()).rejects.toThrow(/cleanup failed in 2 places: third: losetup -d failed; second: umount busy/);
    expect(order).toEqual(['first']);
    await stack.disposeAsync();
    expect(order).toEqual(['first']);
  });
});

describe('mount table reading', () => {
  const info = [
    '22 1 0:21 / / rw - ext4 /dev/vda rw',
    '40 22 0:5 / /tmp/kiln-build.x/root/proc rw - proc proc rw',
    '41 22 0:5 / /tmp/kiln-build.x/root/dev rw - devtmpfs udev rw',
    '42 41 0:5 / /tmp/kiln-build.x/root/dev/pts rw - devpts devpts rw',
    '43 22 0:5 / /tmp/kiln-build.x/root\\040two rw - tmpfs t rw',
    '44 22 0:5 / /tmp/kiln-build.xy rw - tmpfs t rw',
  ].join('\n');
  it('lists mounts at or below a folder, deepest first, decoding escapes', () => {
    expect(mountsBelow('/tmp/kiln-build.x/root', info)).toEqual([
      '/tmp/kiln-build.x/root/dev/pts',
      '/tmp/kiln-build.x/root/proc',
      '/tmp/kiln-build.x/root/dev',
    ]);
    expect(mountsBelow('/tmp/kiln-build.x', info)).toContain('/tmp/kiln-build.x/root two');
    expect(mountsBelow('/tmp/kiln-build.x', info)).not.toContain('/tmp/kiln-build.xy');
  });
});

describe('tmpfs decision (DIB: MemTotal ≥ 2 × --min-tmpfs)', () => {
  const GiB = 2 ** 30;
  it('uses tmpfs when memory allows', () => {
    expect(decideTmpfs(24 * GiB, 2 * GiB, false).useTmpfs).toBe(true);
    expect(decideTmpfs(4 * GiB, 2 * GiB, false).useTmpfs).toBe(true);
  });
  it('builds on disk otherwise, saying why', () => {
    expect(decideTmpfs(3 * GiB, 2 * GiB, false)).toMatchObject({ useTmpfs: false, reason: expect.stringContaining('not enough RAM') });
    expect(decideTmpfs(24 * GiB, 2 * GiB, true)).toEqual({ useTmpfs: false, reason: '--no-tmpfs' });
    expect(decideTmpfs(undefined, 2 * GiB, false).useTmpfs).toBe(false);
  });
  it('reads MemTotal', () => {
    expect(memTotal('MemTotal:       24000000 kB\nMemFree: 1 kB\n')).toBe(24000000 * 1024);
  });
});

describe('leftovers of a killed kiln', () => {
  it('names temp folders with kind and pid, and reads them back', () => {
    expect(tempPrefix('build', 4242)).toBe('kiln-build.4242.');
    expect(parseTempName('kiln-image-mount.77.aB3xYz')).toEqual({ name: 'kiln-image-mount.77.aB3xYz', kind: 'image-mount', pid: 77 });
    for (const other of ['kiln-build.aB3xYz', 'kiln-test-123', 'kiln-build.77.aB3xYz.tar', 'kiln-image-outputs-x1', 'kiln-build.77.']) {
      expect(parseTempName(other)).toBeUndefined();
    }
  });
  it('clears only what is provably kiln\'s, ours and dead', () => {
    const marker = (pid: number) => ({ pid, bootId: 'b', startTicks: 1, pidNamespace: 'pid:[1]', host: 'h' });
    const dir = (uid: number, mode: number) => ({ uid, mode: 0o40000 | mode, isDirectory: () => true, isSymbolicLink: () => false });
    const link = { uid: 7, mode: 0o120777, isDirectory: () => false, isSymbolicLink: () => true };
    const dead = (): 'dead' => 'dead';
    const facts = (name: string, stat = dir(7, 0o700), m = marker(10)) => ({ name, stat, marker: m });
    expect(keepReason(facts('kiln-build.10.aaaaaa'), dead, 7)).toBeUndefined();
    expect(keepReason(facts('kiln-build.10.aaaaaa'), () => 'alive', 7)).toBe('its kiln process still runs');
    expect(keepReason(facts('kiln-build.10.aaaaaa'), () => 'unknown', 7)).toMatch(/another pid namespace/);
    expect(keepReason(facts('kiln-build.10.aaaaaa', dir(8, 0o700)), dead, 7)).toBe('owned by uid 8, not this user');
    expect(keepReason(facts('kiln-build.10.aaaaaa', dir(7, 0o755)), dead, 7)).toBe('mode 755, not 700');
    expect(keepReason(facts('kiln-build.10.aaaaaa', link), dead, 7)).toBe('not a folder');
    expect(keepReason({ name: 'kiln-build.10.aaaaaa', stat: dir(7, 0o700), marker: undefined }, dead, 7)).toBe('no kiln marker for its process');
    expect(keepReason(facts('kiln-build.10.aaaaaa', dir(7, 0o700), marker(11)), dead, 7)).toBe('no kiln marker for its process');
    expect(keepReason(facts('unrelated'), dead, 7)).toBe('not a kiln temp folder name');
  });
  it('finds the loop devices behind the mounts below a folder', () => {
    const info = [
      '22 1 0:1 / / rw - ext4 /dev/sda1 rw',
      '40 22 7:3 / /tmp/kiln-build.5.abcdef/mnt rw - ext4 /dev/loop3p1 rw',
      '41 40 0:5 / /tmp/kiln-build.5.abcdef/mnt/proc rw - proc proc rw',
      '42 22 7:4 / /tmp/kiln-image-mount.5.ghijkl rw - xfs /dev/loop4 ro',
      '43 22 7:9 / /srv/other rw - ext4 /dev/loop9 rw',
    ].join('\n');
    expect(mountTable(info)[1]).toEqual({ point: '/tmp/kiln-build.5.abcdef/mnt', source: '/dev/loop3p1', device: '7:3' });
    expect(loopDevicesAmong(mountSourcesBelow('/tmp/kiln-build.5.abcdef', info))).toEqual(['/dev/loop3']);
    expect(loopDevicesAmong(mountSourcesBelow('/tmp/kiln-image-mount.5.ghijkl', info))).toEqual(['/dev/loop4']);
    expect(loopDevicesAmong(['proc', 'tmpfs', '/dev/sda1', '/dev/loop12', '/dev/loop12p2'])).toEqual(['/dev/loop12']);
  });
  it('says what it cleared in one line', () => {
    expect(describeCleared({ path: '/tmp/kiln-build.5.abcdef', pid: 5, processes: 2, mounts: 6, loops: 1 }))
      .toBe('cleared /tmp/kiln-build.5.abcdef, left by kiln process 5 that was killed before it could clean up (2 processes stopped, 6 mounts, 1 loop device)');
    expect(describeCleared({ path: '/tmp/kiln-image-read.5.abcdef', pid: 5, processes: 0, mounts: 0, loops: 0 }))
      .toBe('cleared /tmp/kiln-image-read.5.abcdef, left by kiln process 5 that was killed before it could clean up');
    expect(describeCleared({ path: '/tmp/kiln-build.5.abcdef', pid: 5, processes: 0, mounts: 0, loops: 0, failed: 'loop device /dev/loop3 is still attached' }))
      .toBe('could not clear /tmp/kiln-build.5.abcdef, left by kiln process 5 that was killed before it could clean up: loop device /dev/loop3 is still attached');
  });
  it('finds the processes working in a folder by their working folder or open files, never by what their environment says', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-build.999999998.')));
    const inside = spawn('sleep', ['30'], { cwd: dir, stdio: 'ignore' });
    const mentions = spawn('sleep', ['30'], { env: { TARGET_ROOT: `${dir}/root` }, stdio: 'ignore' });
    writeFileSync(join(dir, 'held'), '');
    const holder = spawn('sh', ['-c', 'exec 3<"$1"; exec sleep 30', 'sh', join(dir, 'held')], { stdio: 'ignore' });
    try {
      await Promise.all([inside, mentions, holder].map((c) => new Promise((resolve) => c.once('spawn', resolve))));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(processesUsing(dir).sort()).toEqual([inside.pid, holder.pid].sort());
      expect(processesUsing(`${dir}x`)).toEqual([]);
    } finally {
      for (const c of [inside, mentions, holder]) c.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('clears an abandoned folder without mounts as any user, and leaves live, unmarked and open ones alone', async () => {
    const parent = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-test-')));
    try {
      const folder = (name: string, mode: number, marker?: object): string => {
        const path = join(parent, name);
        mkdirSync(join(path, 'root/etc'), { recursive: true, mode });
        chmodSync(path, mode);
        if (marker) writeFileSync(join(path, OWNER_MARKER), JSON.stringify(marker));
        return path;
      };
      const me = selfIdentity();
      const dead = folder('kiln-build.999999999.abcdef', 0o700, { ...me, pid: 999999999 });
      const live = folder(`kiln-build.${process.pid}.ghijkl`, 0o700, me);
      const unmarked = folder('kiln-build.999999997.mnopqr', 0o700);
      const open = folder('kiln-build.999999996.stuvwx', 0o755, { ...me, pid: 999999996 });
      const cleared = await clearLeftovers(parent);
      expect(cleared).toEqual([{ path: dead, pid: 999999999, processes: 0, mounts: 0, loops: 0 }]);
      expect(existsSync(dead)).toBe(false);
      for (const kept of [live, unmarked, open]) expect(existsSync(kept)).toBe(true);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
