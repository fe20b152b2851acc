// The layer cache on real builds (fake-os, seconds each): an unchanged rebuild runs nothing, a
// changed install.d hook resumes right after the slow hook before it (a checkpoint layer), and
// a changed DIB_ variable rebuilds from root.d. What ran is read from the build's progress
// lines; what the image holds, from the tar output.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, hostState, isRoot, kiln, type Ran } from '../helpers/host.js';
import { hook, tempDir, writeTree } from '../helpers/tree.js';

/** Hooks that finished in a build, as `install.d/20-app` names. */
function ranHooks(result: Ran): string[] {
  return [...result.stderr.matchAll(/^\s*(\S+\.d\/\S+) \(\S+\) done in/gm)].map((m) => m[1]!);
}

describe.skipIf(!isRoot)('layer cache (root, fake-os)', () => {
  let tmp: ReturnType<typeof tempDir>;
  const flavours = () => join(tmp.path, 'flavours');
  const appHook = (version: string) => hook(`echo ${version} > /etc/layers-app`);

  beforeAll(() => {
    tmp = tempDir('kiln-layers-');
    writeTree(flavours(), {
      'layers/README.md': 'test flavour: a slow install.d hook, then a quick one the tests change\n',
      'layers/install.d/10-slow': hook('sleep 1.2; date +%s%N > /etc/layers-slow'),
      'layers/install.d/20-app': appHook('v1'),
      'layers/post-install.d/50-post': hook('cat /etc/layers-app > /etc/layers-post'),
    });
  });
  afterAll(() => tmp.cleanup());

  const build = (env: Record<string, string> = {}) =>
    kiln('disk-image-create', ['-n', '-t', 'tar', '-o', join(tmp.path, 'img'), '--image-cache', join(tmp.path, 'cache'),
      '--flavours-path', `${flavours()}:${fixtures}`, 'fake-os', 'layers'], { KILN_CHECKPOINT_SECONDS: '1', ...env });
  const fromTar = (member: string): string => execFileSync('tar', ['-xOf', join(tmp.path, 'img.tar'), `./${member}`]).toString().trim();

  it('a cold build runs every hook and keeps a checkpoint after the slow hook', async () => {
    const before = hostState();
    const result = await build();
    expect(result.code, result.stderr).toBe(0);
    expect(ranHooks(result)).toEqual(['root.d/10-fake-os', 'install.d/10-slow', 'install.d/20-app', 'post-install.d/50-post']);
    expect(result.stderr).toContain('store install checkpoint (after install.d/10-slow) layer');
    expect(fromTar('etc/layers-post')).toBe('v1');
    expect(hostState()).toEqual(before);
  });

  it('an unchanged rebuild runs no hook and gives the same image', async () => {
    const slow = fromTar('etc/layers-slow');
    rmSync(join(tmp.path, 'img.manifest.json'));
    const result = await build();
    expect(result.code, result.stderr).toBe(0);
    expect(ranHooks(result)).toEqual([]);
    expect(result.stderr).toContain('copy unchanged outputs from the cache');
    expect(fromTar('etc/layers-slow')).toBe(slow);
    // The description files come back with the image.
    expect(existsSync(join(tmp.path, 'img.manifest.json'))).toBe(true);
  });

  it('a cached output set kept without its manifest (by an older kiln) is built again, not half restored', async () => {
    const outputs = join(tmp.path, 'cache', 'outputs');
    const sets = readdirSync(outputs).filter((name) => !name.startsWith('.'));
    expect(sets.length).toBeGreaterThan(0);
    for (const set of sets) rmSync(join(outputs, set, 'manifest.json'));
    rmSync(join(tmp.path, 'img.manifest.json'));
    const result = await build();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('copy unchanged outputs from the cache');
    expect(existsSync(join(tmp.path, 'img.manifest.json'))).toBe(true);
  });

  it('a changed hook resumes after the checkpoint before it: the slow hook does not run again', async () => {
    const slow = fromTar('etc/layers-slow');
    writeFileSync(join(flavours(), 'layers/install.d/20-app'), appHook('v2').content);
    const dry = await kiln('disk-image-create', ['--dry-run', '-n', '-t', 'tar', '-o', join(tmp.path, 'img'), '--image-cache', join(tmp.path, 'cache'),
      '--flavours-path', `${flavours()}:${fixtures}`, 'fake-os', 'layers']);
    expect(dry.stdout).toMatch(/runs after install\.d\/10-slow: up to it from cache/);
    const result = await build();
    expect(result.code, result.stderr).toBe(0);
    expect(ranHooks(result)).toEqual(['install.d/20-app', 'post-install.d/50-post']);
    expect(result.stderr).toMatch(/restore cached layer \(install, after install\.d\/10-slow\)/);
    expect(fromTar('etc/layers-slow')).toBe(slow);
    expect(fromTar('etc/layers-post')).toBe('v2');
  });

  it('a changed DIB_ variable rebuilds from root.d; --no-cache runs everything and stores nothing', async () => {
    const changed = await build({ DIB_LAYERS_SETTING: 'other' });
    expect(changed.code, changed.stderr).toBe(0);
    expect(ranHooks(changed)[0]).toBe('root.d/10-fake-os');
    rmSync(join(tmp.path, 'cache'), { recursive: true, force: true });
    const uncached = await kiln('disk-image-create', ['-n', '-t', 'tar', '--no-cache', '-o', join(tmp.path, 'img'), '--image-cache', join(tmp.path, 'cache'),
      '--flavours-path', `${flavours()}:${fixtures}`, 'fake-os', 'layers'], { KILN_CHECKPOINT_SECONDS: '0' });
    expect(uncached.code, uncached.stderr).toBe(0);
    expect(ranHooks(uncached)).toHaveLength(4);
    expect(uncached.stderr).not.toMatch(/store .* layer/);
  });

  it('two builds sharing one cache at the same time both succeed with the same image', async () => {
    const shared = join(tmp.path, 'shared-cache');
    const both = await Promise.all(['one', 'two'].map((name) =>
      kiln('disk-image-create', ['-n', '-t', 'tar', '-o', join(tmp.path, name), '--image-cache', shared,
        '--flavours-path', `${flavours()}:${fixtures}`, 'fake-os', 'layers'], { KILN_CHECKPOINT_SECONDS: '1' })));
    for (const result of both) expect(result.code, result.stderr).toBe(0);
    const post = (name: string) => execFileSync('tar', ['-xOf', join(tmp.path, `${name}.tar`), './etc/layers-post']).toString();
    expect(post('one')).toBe(post('two'));
    expect(existsSync(join(shared, '.lock'))).toBe(false);
    expect(readdirSync(join(shared, 'layers')).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('KILN_CACHE_MAX_SIZE: a build that stored layers trims the least recently used entries and says so', async () => {
    const shared = join(tmp.path, 'shared-cache');
    const entries = (): string[] => [...readdirSync(join(shared, 'layers')).filter((f) => f.endsWith('.json')), ...readdirSync(join(shared, 'outputs')).filter((f) => !f.startsWith('.'))];
    const before = entries();
    expect(before.length).toBeGreaterThan(1);
    const result = await kiln('disk-image-create', ['-n', '-t', 'tar', '-o', join(tmp.path, 'trimmed'), '--image-cache', shared,
      '--flavours-path', `${flavours()}:${fixtures}`, 'fake-os', 'layers'], { DIB_LAYERS_SETTING: 'trim', KILN_CACHE_MAX_SIZE: '1M' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(new RegExp(`cache: removed \\d+ least recently used layer\\(s\\) and output set\\(s\\), [\\d.]+ [KM]iB, to keep ${shared} under 1\\.0 MiB \\(KILN_CACHE_MAX_SIZE\\)`));
    expect(entries().filter((f) => before.includes(f))).toEqual([]);
    const kept = execFileSync('du', ['-sb', '--exclude=apt', '--exclude=debian', join(shared, 'layers'), join(shared, 'outputs')]).toString()
      .split('\n').filter(Boolean).reduce((sum, line) => sum + Number(line.split('\t')[0]), 0);
    expect(kept).toBeLessThan(1.2 * 1024 * 1024);
  });
});
