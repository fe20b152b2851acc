// How the build VM's agent runs a build (fake-os, seconds): in the work folder it is handed (the
// scratch disk, thrown away whole, so the build does not remove it), with its log mirrored to the
// host, and, when the host's cache is read-only, reusing layers without storing any.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../../lib/config/parse-options.js';
import { executeBuild } from '../../lib/engine/execute.js';
import { resolveBuild } from '../../lib/plan/resolved-build.js';
import type { BuildEvent } from '../../lib/report/events.js';
import { fixtures, isRoot } from '../helpers/host.js';
import { hook, tempDir, writeTree } from '../helpers/tree.js';

describe.skipIf(!isRoot)('builds as the build VM runs them (root, fake-os)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir('kiln-guest-build-');
    writeTree(tmp.path, { 'fl/slow/README.md': 'x', 'fl/slow/install.d/10-slow': hook('sleep 2; echo slow > /etc/slow') });
  });
  afterAll(() => tmp.cleanup());

  const run = async (name: string, options: { readOnlyCache?: boolean; workDir?: string }, noCache = false) => {
    const request = buildRequest('disk', ['fake-os', 'slow'], { imageName: join(tmp.path, name), types: ['tar'], imageCache: join(tmp.path, 'cache'), skipBase: true,
      flavoursPath: `${join(tmp.path, 'fl')}:${fixtures}`, ...(noCache ? { noCache: true } : {}) }, {}, tmp.path);
    const events: BuildEvent[] = [];
    const lines: string[] = [];
    const never = new AbortController().signal;
    const stream = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;
    const code = await executeBuild(await resolveBuild(request), {
      signal: never, forceSignal: never, debug: false, sinks: [(e) => events.push(e)], stream,
      logMirror: { path: undefined, line: (label, text) => lines.push(`${label} | ${text}`) }, ...options,
    });
    return { code, events, lines };
  };
  const layers = (): string[] => (existsSync(join(tmp.path, 'cache/layers')) ? readdirSync(join(tmp.path, 'cache/layers')).sort() : []);

  it('with a read-only cache, stores no layer and no output', async () => {
    const { code, events } = await run('ro', { readOnlyCache: true });
    expect(code).toBe(0);
    expect(events.some((e) => e.type === 'step-start' && e.step.startsWith('store'))).toBe(false);
    expect(layers()).toEqual([]);
    expect(existsSync(join(tmp.path, 'cache/outputs'))).toBe(false);
    expect(existsSync(join(tmp.path, 'ro.tar'))).toBe(true);
  });

  it('reuses layers another build stored, still storing none', async () => {
    expect((await run('rw', {})).code).toBe(0);
    const stored = layers();
    expect(stored.length).toBeGreaterThan(0);
    const { code, events } = await run('ro2', { readOnlyCache: true });
    expect(code).toBe(0);
    expect(events.some((e) => e.type === 'phase-cached' || (e.type === 'step-start' && e.step.startsWith('copy unchanged outputs')))).toBe(true);
    expect(layers()).toEqual(stored);
  });

  it('builds in the folder it is handed and leaves it to the caller; the log is mirrored', async () => {
    const work = join(tmp.path, 'scratch');
    mkdirSync(work);
    const { code, lines } = await run('handed', { workDir: work }, true);
    expect(code).toBe(0);
    expect(readdirSync(work).sort()).toEqual(expect.arrayContaining(['hooks', 'root']));
    expect(lines.filter((l) => l.includes('root.d/10-fake-os')), lines.slice(0, 20).join('\n')).not.toEqual([]);
  });
});
