import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chainKeys, type StageInputs } from '../../lib/cache/keys.js';
import { ROOT_STAGES } from '../../lib/flavours/phases.js';
import { expandVariables, stageKeys } from '../../lib/plan/cache-keys.js';
import { decideStages } from '../../lib/plan/stage-decisions.js';
import { buildRequest } from '../../lib/config/parse-options.js';
import { loadAndPlan } from '../../lib/plan/load-flavours.js';
import type { LayerInfo } from '../../lib/cache/layer-store.js';
import { hook, tempDir, writeTree } from '../helpers/tree.js';

// Hook lines are `hook NAME FLAVOUR SHA`; the hook's name is the second word.
const inputs = (hooks: Record<string, string[]> = {}, alwaysRun: Record<string, string[]> = {}): StageInputs[] =>
  ROOT_STAGES.map((stage) => ({
    stage,
    hooks: (hooks[stage.name] ?? []).map((line) => ({ name: line.split(' ')[1]!, line })),
    extra: [],
    alwaysRun: alwaysRun[stage.name] ?? [],
    unseen: [],
  }));

describe('chained layer keys', () => {
  it('a change invalidates exactly the stages from the one it touches', () => {
    const before = chainKeys('base', inputs({ install: ['hook install/50-a a 111'] }));
    const after = chainKeys('base', inputs({ install: ['hook install/50-a a 222'] }));
    const names = ROOT_STAGES.map((s) => s.name);
    const same = names.filter((_, i) => before[i]!.key === after[i]!.key);
    expect(same).toEqual(['root', 'extra-data', 'pre-install']);
  });
  it('a base change invalidates every stage', () => {
    const a = chainKeys('base-a', inputs());
    const b = chainKeys('base-b', inputs());
    expect(a.every((k, i) => k.key !== b[i]!.key)).toBe(true);
  });
  it('a stage that runs nothing shares the previous layer', () => {
    const keys = chainKeys('base', inputs({ root: ['hook root/10 os 1'], install: ['hook install/50 a 1'] }));
    expect(keys[1]!.key).toBe(keys[0]!.key);
    expect(keys[2]!.key).toBe(keys[0]!.key);
    expect(keys[3]!.key).not.toBe(keys[2]!.key);
    expect(keys[4]!.key).toBe(keys[3]!.key);
  });
  it('an always-run hook makes its stage and every later one uncacheable, saying why', () => {
    const keys = chainKeys('base', inputs({}, { 'pre-install': ['pre-install.d/10-clock'] }));
    expect(keys.map((k) => k.uncacheable)).toEqual([
      undefined, undefined,
      'always-run hook pre-install.d/10-clock',
      'follows always-run hook pre-install.d/10-clock', 'follows always-run hook pre-install.d/10-clock',
      'follows always-run hook pre-install.d/10-clock', 'follows always-run hook pre-install.d/10-clock',
    ]);
  });
});

describe('checkpoints inside a stage', () => {
  const install = ['hook install.d/01-kernel os 1', 'hook install.d/50-app app 1', 'hook install.d/60-late app 1'];
  it('a checkpoint after each hook but the last; a change keeps the checkpoints before it', () => {
    const before = chainKeys('base', inputs({ install }));
    const after = chainKeys('base', inputs({ install: [install[0]!, 'hook install.d/50-app app 2', install[2]!] }));
    const at = ROOT_STAGES.findIndex((s) => s.name === 'install');
    expect(before[at]!.checkpoints.map((c) => c.afterHook)).toEqual(['install.d/01-kernel', 'install.d/50-app']);
    expect(after[at]!.checkpoints[0]!.key).toBe(before[at]!.checkpoints[0]!.key);
    expect(after[at]!.checkpoints[1]!.key).not.toBe(before[at]!.checkpoints[1]!.key);
    expect(new Set([before[at]!.key, ...before[at]!.checkpoints.map((c) => c.key)]).size).toBe(3);
  });
  it('an always-run hook blocks the checkpoints from its own onwards, not the ones before', () => {
    const keys = chainKeys('base', inputs({ install }, { install: ['install.d/50-app'] }));
    const at = ROOT_STAGES.findIndex((s) => s.name === 'install');
    expect(keys[at]!.checkpoints.map((c) => c.uncacheable)).toEqual([undefined, 'always-run hook install.d/50-app']);
    expect(keys[at]!.uncacheable).toBe('always-run hook install.d/50-app');
  });
  it('resumes after the deepest checkpoint, and a later stage end wins over it', () => {
    const keys = chainKeys('base', inputs({ root: ['hook root.d/10 os 1'], install }));
    const at = ROOT_STAGES.findIndex((s) => s.name === 'install');
    const now = 1_000_000_000;
    const layer = (key: string): LayerInfo => ({ key, stage: '', flavours: '', createdMs: now - 120_000, lastUsedMs: now, bytes: 1, path: '' });
    const stored = new Map([keys[0]!.key, keys[at]!.checkpoints[0]!.key].map((k) => [k, layer(k)]));
    const decisions = decideStages(keys, (k) => stored.get(k), { noCache: false, maxAgeMs: 1e9, now });
    expect(decisions.slice(0, at).every((d) => d.reuse)).toBe(true);
    expect(decisions[at]).toMatchObject({ reuse: false, resume: { index: 0, afterHook: 'install.d/01-kernel' } });
    expect(decisions[at]!.reason).toMatch(/^runs after install\.d\/01-kernel: up to it from cache \(layer [0-9a-f]{12}, 2 min old\)$/);
    stored.set(keys[at]!.key, layer(keys[at]!.key));
    expect(decideStages(keys, (k) => stored.get(k), { noCache: false, maxAgeMs: 1e9, now })[at]).toMatchObject({ reuse: true });
    expect(decideStages(keys, (k) => stored.get(k), { noCache: true, maxAgeMs: 1e9, now }).some((d) => d.reuse || d.resume)).toBe(false);
  });
});

describe('deciding which stages come from the cache', () => {
  const keys = chainKeys('base', inputs(Object.fromEntries(ROOT_STAGES.map((s) => [s.name, [`hook ${s.name}`]]))));
  const now = 1_000_000_000;
  const layer = (key: string, createdMs = now - 60_000): LayerInfo => ({ key, stage: '', flavours: '', createdMs, lastUsedMs: createdMs, bytes: 1, path: '' });
  it('resumes from the deepest stored layer', () => {
    const stored = new Map([keys[0]!.key, keys[3]!.key].map((k) => [k, layer(k)]));
    const decisions = decideStages(keys, (k) => stored.get(k), { noCache: false, maxAgeMs: 1e9, now });
    expect(decisions.map((d) => d.reuse)).toEqual([true, true, true, true, false, false, false]);
    expect(decisions[3]!.reason).toMatch(/^from cache \(layer [0-9a-f]{12}, 1 min old\)$/);
    expect(decisions[4]!.reason).toBe('runs: no cached layer for its inputs');
  });
  it('runs everything with --no-cache, and ignores layers older than the max age', () => {
    const stored = new Map(keys.map((k) => [k.key, layer(k.key, now - 10e9)]));
    expect(decideStages(keys, (k) => stored.get(k), { noCache: true, maxAgeMs: 1e12, now }).every((d) => !d.reuse && d.reason === 'runs: --no-cache')).toBe(true);
    const old = decideStages(keys, (k) => stored.get(k), { noCache: false, maxAgeMs: 1e9, now });
    expect(old.every((d) => !d.reuse)).toBe(true);
    expect(old[0]!.reason).toMatch(/cached layer is \d+ d old/);
  });
});

describe('keys from a real plan', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
    writeTree(tmp.path, {
      'f/os/flavour-provides': 'operating-system\n',
      'f/os/root.d/10-root': hook('echo root'),
      'f/os/environment.d/10-os': 'DIB_RELEASE=one\n',
      'f/app/flavour-deps': 'os\n',
      'f/app/pre-install.d/10-pre': hook('echo pre'),
      'f/app/install.d/50-app': hook('echo one'),
      'f/app/post-install.d/50-post': hook('echo post'),
    });
  });
  afterEach(() => tmp.cleanup());
  const keysFor = (env: Record<string, string> = {}, output = 'image') => {
    const request = buildRequest('disk', ['app'], { flavoursPath: join(tmp.path, 'f'), types: ['tar'], skipBase: true, imageName: output }, env, tmp.path);
    return stageKeys(loadAndPlan(request, { builtIn: join(tmp.path, 'f') }), {}).map((k) => k.key);
  };
  it('changing an install.d hook keeps the layers before install', () => {
    const before = keysFor();
    writeFileSync(join(tmp.path, 'f/app/install.d/50-app'), '#!/bin/sh\necho two\n');
    const after = keysFor();
    expect(after.slice(0, 3)).toEqual(before.slice(0, 3));
    expect(after.slice(3).every((k, i) => k !== before[3 + i])).toBe(true);
  });
  it('a DIB_ variable or the mirror changes every key; the cache folder changes none', () => {
    const before = keysFor();
    expect(keysFor({ DIB_DISTRIBUTION_MIRROR: 'http://mirror.example/debian' }).every((k, i) => k !== before[i])).toBe(true);
    expect(keysFor({ DIB_IMAGE_CACHE: join(tmp.path, 'elsewhere') })).toEqual(before);
  });
  it('an unchanged build has unchanged keys, whatever -o says', () => {
    expect(keysFor()).toEqual(keysFor());
    expect(keysFor({}, 'other-name')).toEqual(keysFor());
  });
  it('host files named in cache-inputs, with ${VAR} from the environment, are part of every key', () => {
    writeTree(tmp.path, { 'f/app/cache-inputs': '# the base image\n${DIB_LOCAL_IMAGE}\n', 'base.img': 'one' });
    const env = { DIB_LOCAL_IMAGE: join(tmp.path, 'base.img') };
    const before = keysFor(env);
    writeFileSync(join(tmp.path, 'base.img'), 'two');
    expect(keysFor(env).every((k, i) => k !== before[i])).toBe(true);
    writeFileSync(join(tmp.path, 'base.img'), 'one');
    expect(keysFor(env)).toEqual(before);
    expect(keysFor({ DIB_LOCAL_IMAGE: join(tmp.path, 'other.img') })[0]).not.toBe(before[0]);
  });
  it('a reused layer of host hooks from a flavour without cache-inputs says kiln cannot see their reads', () => {
    writeTree(tmp.path, { 'f/app/extra-data.d/10-fetch': hook('cp ~/thing $TMP_HOOKS_PATH/') });
    const plan = () => loadAndPlan(buildRequest('disk', ['app'], { flavoursPath: join(tmp.path, 'f'), types: ['tar'], skipBase: true }, {}, tmp.path), { builtIn: join(tmp.path, 'f') });
    const decide = () => {
      const keys = stageKeys(plan(), {});
      const all = new Set(keys.map((k) => k.key));
      return decideStages(keys, (key) => (all.has(key) ? { key, stage: '', flavours: '', createdMs: Date.now(), lastUsedMs: Date.now(), bytes: 1, path: '' } : undefined), { noCache: false, maxAgeMs: 1e9, now: Date.now() });
    };
    const notes = decide().filter((d) => d.reason.includes('cannot see'));
    expect(notes.map((d) => d.stage)).toEqual(['root', 'extra-data']);
    expect(notes[1]!.reason).toContain("kiln cannot see what extra-data.d/10-fetch (app) reads on the host: list it in the flavour's cache-inputs");
    expect(notes[0]!.reason).toContain('root.d/10-root (os)');
    writeTree(tmp.path, { 'f/app/cache-inputs': '~/thing\n', 'f/os/cache-inputs': '# reads nothing from the host\n' });
    expect(decide().some((d) => d.reason.includes('cannot see'))).toBe(false);
  });
});

describe('expandVariables', () => {
  it('replaces $NAME and ${NAME}, unset ones by nothing', () => {
    expect(expandVariables('${A}/x/$B-$C', { A: '/a', B: 'b' })).toBe('/a/x/b-');
  });
});
