// The cache trusts no one else: layers record their size and sha256 and are checked before they
// are unpacked (a corrupt or truncated one is moved aside with a warning and its work done again),
// and a cache folder that others can write is refused unless --cache-group names the group.
import { chmodSync, chownSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256OfFile } from '../../../lib/cache/layer-store.js';
import { acquireLock } from '../../../lib/resources/file-lock.js';
import { fixtures, isRoot, kiln, start, type Ran } from '../../helpers/host.js';
import { waitFor } from '../../helpers/hostile.js';
import { hook, tempDir, writeTree } from '../../helpers/tree.js';

function ranHooks(result: Ran): string[] {
  return [...result.stderr.matchAll(/^\s*(\S+\.d\/\S+) \(\S+\) done in/gm)].map((m) => m[1]!);
}

describe.skipIf(!isRoot)('cache safety (root, fake-os)', () => {
  let tmp: ReturnType<typeof tempDir>;
  const cache = (): string => join(tmp.path, 'cache');
  const layers = (): string => join(cache(), 'layers');
  beforeAll(() => {
    tmp = tempDir('kiln-cache-safety-');
    writeTree(join(tmp.path, 'flavours'), {
      'slow/README.md': 'test flavour: one slow install.d hook\n',
      'slow/install.d/10-slow': hook('sleep 1.6; date +%s%N > /etc/slow'),
    });
  });
  afterAll(() => tmp.cleanup());

  const args = (extra: string[] = []): string[] => ['-n', '-t', 'tar', '-o', join(tmp.path, 'img'), '--image-cache', cache(),
    '--flavours-path', `${join(tmp.path, 'flavours')}:${fixtures}`, ...extra, 'fake-os', 'slow'];
  const build = (extra: string[] = []) => kiln('disk-image-create', args(extra), { KILN_CHECKPOINT_SECONDS: '1' });
  /** The newest layer archive; the outputs cache is dropped so that the next build restores it. */
  const newestLayer = (): string => {
    rmSync(join(cache(), 'outputs'), { recursive: true, force: true });
    const archives = readdirSync(layers()).filter((f) => f.endsWith('.tar.zst')).map((f) => join(layers(), f));
    return archives.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]!;
  };

  it('stores each layer with its size and sha256', async () => {
    const result = await build();
    expect(result.code, result.stderr).toBe(0);
    const archives = readdirSync(layers()).filter((f) => f.endsWith('.tar.zst'));
    expect(archives.length).toBeGreaterThan(0);
    for (const archive of archives) {
      const meta = JSON.parse(readFileSync(join(layers(), archive.replace(/\.tar\.zst$/, '.json')), 'utf8')) as { sha256: string; storedBytes: number };
      expect(meta.storedBytes).toBe(statSync(join(layers(), archive)).size);
      expect(meta.sha256).toBe(await sha256OfFile(join(layers(), archive)));
    }
    expect(readdirSync(layers()).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a layer with a changed byte is moved aside with a warning, and its work is done again', async () => {
    const layer = newestLayer();
    const fd = openSync(layer, 'r+');
    writeSync(fd, Buffer.from('kiln'), 0, 4, Math.floor(statSync(layer).size / 2));
    closeSync(fd);
    const result = await build();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: cached layer [0-9a-f]{12} \(\S+\) is corrupt: its sha256 is [0-9a-f]{12}…, but [0-9a-f]{12}… was stored; moved it to .*\/layers\/corrupt\//);
    expect(ranHooks(result).length).toBeGreaterThan(0);
    expect(readdirSync(join(layers(), 'corrupt')).filter((f) => f.endsWith('.tar.zst'))).toHaveLength(1);
  });

  it('a truncated layer is found by its size before anything is unpacked', async () => {
    const layer = newestLayer();
    truncateSync(layer, 1000);
    const result = await build();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/is corrupt: its archive has 1000 bytes, \d+ were stored/);
    expect(result.stderr).not.toMatch(/zstd|restoring the .* layer.* exited/);
  });

  it('a layer pruned after the build was planned (while the build waited for the cache lock) gives way to the plan\'s fallback', async () => {
    const layer = newestLayer();
    const buildTmp = join(tmp.path, 'tmp');
    mkdirSync(buildTmp, { recursive: true });
    // Another kiln holds the cache lock: the build plans with the layer there, then waits to restore it.
    const lock = await acquireLock(join(cache(), '.lock'), 'the cache', 0);
    const started = start('disk-image-create', args(), { KILN_CHECKPOINT_SECONDS: '1', TMPDIR: buildTmp });
    try {
      await waitFor(() => readdirSync(buildTmp).some((n) => n.startsWith('kiln-build.')), 'the build to plan and make its work folder');
      // ...and prunes the layer the plan chose, as kiln-cache prune does under the lock.
      rmSync(layer);
      rmSync(layer.replace(/\.tar\.zst$/, '.json'));
    } finally {
      await lock.release();
    }
    const result = await started.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/cached layer [0-9a-f]{12} \(\S+\) left the cache after the build was planned; running what it held/);
    expect(result.stderr).not.toMatch(/TypeError|internal error/);
  });

  it('a cache writable by its group is refused unless --cache-group names that group; one of another user always', async () => {
    chmodSync(cache(), 0o775);
    try {
      let result = await build();
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`the cache ${cache()} is writable by its group (gid 0, mode 0775) and no --cache-group was given`);
      result = await build(['--cache-group', 'root']);
      expect(result.code, result.stderr).toBe(0);
    } finally {
      chmodSync(cache(), 0o755);
    }
    chownSync(layers(), 65534, 65534);
    try {
      const result = await build(['--cache-group', 'root']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`the cache ${layers()} belongs to another user (uid 65534): anyone who can write it can make kiln unpack and run their files as root`);
    } finally {
      chownSync(layers(), 0, 0);
    }
  });
});
