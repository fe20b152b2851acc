// The cache folder as users see it: `kiln-cache list` and `kiln-cache prune` on a real folder of
// layers and cached outputs, and the lock that lets concurrent builds share it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withCacheLock } from '../../../lib/cache/lock.js';
import { selfIdentity } from '../../../lib/resources/process-identity.js';
import { bin } from '../../helpers/host.js';
import { tempDir } from '../../helpers/tree.js';

const MiB = 1024 * 1024;
const HOUR = 3600_000;

/** A stored layer: `<key>.tar.zst` of `bytes` and its metadata, last used `usedHoursAgo`. */
function layer(cache: string, key: string, stage: string, bytes: number, usedHoursAgo: number): void {
  const dir = join(cache, 'layers');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${key}.tar.zst`), Buffer.alloc(bytes));
  const used = Date.now() - usedHoursAgo * HOUR;
  writeFileSync(join(dir, `${key}.json`), JSON.stringify({ key, stage, flavours: 'debian vm', createdMs: used - HOUR, lastUsedMs: used }));
}

function kilnCache(cache: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(bin('kiln-cache'), ['--image-cache', cache, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('kiln-cache', () => {
  let tmp: ReturnType<typeof tempDir>;
  let cache: string;
  beforeEach(() => {
    tmp = tempDir('kiln-cache-');
    cache = join(tmp.path, 'cache');
    layer(cache, 'a'.repeat(32), 'root', 3 * MiB, 50);
    layer(cache, 'b'.repeat(32), 'install checkpoint (after install.d/05-bootloader-packages)', 2 * MiB, 2);
    layer(cache, 'c'.repeat(32), 'post-install', 1 * MiB, 0.1);
    mkdirSync(join(cache, 'apt/archives'), { recursive: true });
    writeFileSync(join(cache, 'apt/archives/x_1_amd64.deb'), Buffer.alloc(MiB / 2));
  });
  afterEach(() => tmp.cleanup());

  it('lists layers newest first with stage, size and ages, and the other folders', () => {
    const { code, stdout } = kilnCache(cache, 'list');
    expect(code).toBe(0);
    const rows = stdout.split('\n').filter((l) => /^ {2}[0-9a-f]{12} /.test(l));
    expect(rows.map((r) => r.trim().slice(0, 1))).toEqual(['c', 'b', 'a']);
    expect(rows[1]).toMatch(/install checkpoint \(after install\.d\/05-bootloader-packages\)\s+2\.0 MiB\s+made 3 h ago, used 2 h ago/);
    expect(rows[2]).toMatch(/used 2 d ago/);
    expect(stdout).toMatch(/apt\s+512(\.0)? KiB/);
    expect(stdout).toMatch(/layers and outputs: 6\.0 MiB/);
  });

  it('warns about broken metadata, naming the file, and lists the sound entries', () => {
    writeFileSync(join(cache, 'layers', `${'b'.repeat(32)}.json`), '{"key":');
    mkdirSync(join(cache, 'outputs', 'd'.repeat(32)), { recursive: true });
    writeFileSync(join(cache, 'outputs', 'd'.repeat(32), 'meta.json'), '[]');
    const { code, stdout, stderr } = kilnCache(cache, 'list');
    expect(code, stderr).toBe(0);
    expect(stdout.split('\n').filter((l) => /^ {2}[0-9a-f]{12} /.test(l)).map((r) => r.trim().slice(0, 1))).toEqual(['c', 'a']);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^kiln-cache: warning: ignoring broken cache metadata ${join(cache, 'layers', 'b'.repeat(32))}\\.json \\(not valid JSON: `)),
      `kiln-cache: warning: ignoring broken cache metadata ${join(cache, 'outputs', 'd'.repeat(32), 'meta.json')} (no creation and last-use times); that cache entry is built again`,
    ]);
    // prune removes them whatever the size allowed (a build would not reuse them), and only them.
    const prune = kilnCache(cache, 'prune', '--max-size', '100G');
    expect(prune.stdout).toBe('removed 2 entries, 2.0 MiB\n');
    expect(readdirSync(join(cache, 'layers')).sort()).toEqual([`${'a'.repeat(32)}.json`, `${'a'.repeat(32)}.tar.zst`, `${'c'.repeat(32)}.json`, `${'c'.repeat(32)}.tar.zst`]);
    expect(readdirSync(join(cache, 'outputs'))).toEqual([]);
  });

  it('does not list output sets being stored', () => {
    mkdirSync(join(cache, 'outputs', '.store-x.1'), { recursive: true });
    writeFileSync(join(cache, 'outputs', '.store-x.1', 'meta.json'), '{"key":');
    const { code, stdout, stderr } = kilnCache(cache, 'list');
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(/Outputs of unchanged builds:\n {2}\(none\)/);
  });

  it('prunes the least recently used layers down to the size asked for', () => {
    const { code, stdout } = kilnCache(cache, 'prune', '--max-size', '3.5M');
    expect(code, stdout).toBe(0);
    expect(stdout).toBe('removed 1 entry, 3.0 MiB\n');
    expect(readdirSync(join(cache, 'layers')).sort()).toEqual([`${'b'.repeat(32)}.json`, `${'b'.repeat(32)}.tar.zst`, `${'c'.repeat(32)}.json`, `${'c'.repeat(32)}.tar.zst`]);
    expect(kilnCache(cache, 'prune', '--max-size', '0').stdout).toBe('removed 2 entries, 3.0 MiB\n');
    expect(existsSync(join(cache, 'apt/archives/x_1_amd64.deb'))).toBe(true);
  });

  it('says what is wrong with a bad size, in one line', () => {
    const { code, stderr } = kilnCache(cache, 'prune', '--max-size', 'lots');
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')[0]).toMatch(/--max-size/);
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
  });
});

describe('cache lock', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('kiln-lock-')));
  afterEach(() => tmp.cleanup());

  it('never lets two holders in at once', async () => {
    let inside = 0;
    let most = 0;
    const holder = () => withCacheLock(tmp.path, async () => {
      most = Math.max(most, ++inside);
      await sleep(20);
      inside--;
    });
    await Promise.all(Array.from({ length: 5 }, holder));
    expect(most).toBe(1);
    expect(existsSync(join(tmp.path, '.lock'))).toBe(false);
  });

  it('takes over a lock left by a process that is gone, and releases it when the body throws', async () => {
    // Our own pid with another start time: the same number, but provably another process.
    writeFileSync(join(tmp.path, '.lock'), JSON.stringify({ ...selfIdentity(), startTicks: 1 }));
    await expect(withCacheLock(tmp.path, async () => { throw new Error('boom'); }, 5000)).rejects.toThrow('boom');
    expect(existsSync(join(tmp.path, '.lock'))).toBe(false);
  });

  it('does not trust a bare pid, and says who holds the lock when the wait times out', async () => {
    writeFileSync(join(tmp.path, '.lock'), '999999999');
    await expect(withCacheLock(tmp.path, async () => 'never', 300)).rejects.toThrow(/the cache .* is in use by another process: gave up after waiting 0 s/);
    writeFileSync(join(tmp.path, '.lock'), JSON.stringify({ ...selfIdentity(), pidNamespace: 'pid:[1]' }));
    await expect(withCacheLock(tmp.path, async () => 'never', 300)).rejects.toThrow(`in use by kiln process ${process.pid} in another pid namespace`);
    expect(existsSync(join(tmp.path, '.lock'))).toBe(true);
  });
});
