// The phase table is the one source of which stages the layer cache keeps, which phases shape
// the outputs and where each runs: the lists derived from it, and the cache keys, follow it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRequest } from '../../../lib/config/parse-options.js';
import { firstBootPhases, OUTPUT_PHASES, PACKAGE_INSTALL_PHASES, PHASES, ROOT_STAGES } from '../../../lib/flavours/phases.js';
import { resolveBuild } from '../../../lib/plan/resolved-build.js';
import { hook, tempDir, writeTree } from '../../helpers/tree.js';

describe('lists derived from the phase table', () => {
  it('the layer cache stages: each root phase, and the -p packages after install.d', () => {
    expect(ROOT_STAGES.map((s) => s.name)).toEqual(['root', 'extra-data', 'pre-install', 'install', 'packages', 'post-install', 'post-root']);
    expect(OUTPUT_PHASES.map((p) => p.name)).toEqual(['block-device-size', 'block-device', 'pre-finalise', 'finalise', 'cleanup']);
    expect(PACKAGE_INSTALL_PHASES).toEqual(['pre-install', 'install', 'post-install']);
    expect(firstBootPhases().map((f) => [f.phase.name, f.installedBy])).toEqual([['first-boot', 'post-install']]);
  });
});

describe('every phase is in the cache keys the table says', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
    writeTree(tmp.path, { 'f/os/flavour-provides': 'operating-system\n' });
    for (const p of PHASES) writeTree(tmp.path, { [`f/os/${p.dir}/50-${p.name}`]: hook(`echo ${p.name}`) });
  });
  afterEach(() => tmp.cleanup());

  const keys = async (): Promise<{ layers: string[]; output: string }> => {
    const request = buildRequest('disk', ['os'], { flavoursPath: join(tmp.path, 'f'), skipBase: true, imageCache: join(tmp.path, 'cache') }, {}, tmp.path);
    const { cache } = await resolveBuild(request, { builtIn: join(tmp.path, 'f') });
    return { layers: cache.stages.map((s) => s.key), output: cache.outputKey! };
  };

  it.each(PHASES.map((p) => [p.dir, p] as const))('%s', async (_, p) => {
    const before = await keys();
    writeFileSync(join(tmp.path, `f/os/${p.dir}/50-${p.name}`), '#!/bin/sh\necho changed\n');
    const after = await keys();
    expect(after.output).not.toBe(before.output);
    const stage = ROOT_STAGES.findIndex((s) => s.phase === (p.stage === 'first-boot' ? p.installedBy : p.name));
    const unchanged = p.stage === 'output' ? ROOT_STAGES.length : stage;
    expect(unchanged).toBeGreaterThanOrEqual(0);
    expect(after.layers.slice(0, unchanged)).toEqual(before.layers.slice(0, unchanged));
    expect(after.layers.slice(unchanged).every((key, i) => key !== before.layers[unchanged + i])).toBe(true);
  });
});
