// The root and e2e tiers cannot pass by skipping: run by a user who is not root they stop the run
// with one line, unless KILN_TESTS_SKIP_ROOT=1 says so, and then they say how much they skip.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fg from 'fast-glob';
import { describe, expect, it } from 'vitest';
import config from '../../vitest.config.js';
import { requireHostProgram } from '../helpers/host.js';
import { rootTierDecision, SKIP_ROOT_VARIABLE } from '../setup/root-tiers.js';

describe('the root and e2e tiers without root', () => {
  it('run as root', () => {
    expect(rootTierDecision('root', 9, 0, { [SKIP_ROOT_VARIABLE]: '1' })).toBeUndefined();
  });

  it('fail with one line saying why and how to skip on purpose', () => {
    expect(() => rootTierDecision('e2e', 12, 1000, {})).toThrow(
      /^the e2e tier needs root \(.*\): run the tests as root, or set KILN_TESTS_SKIP_ROOT=1 to skip the root and e2e tiers on purpose$/,
    );
    expect(() => rootTierDecision('root', 9, 1000, { [SKIP_ROOT_VARIABLE]: 'yes' })).toThrow(/needs root/);
  });

  it('skip when told to, saying how many test files', () => {
    expect(rootTierDecision('root', 9, 1000, { [SKIP_ROOT_VARIABLE]: '1' })).toBe('kiln tests: not root and KILN_TESTS_SKIP_ROOT=1: skipping the root tier (9 test files)');
  });

  it('are guarded in the vitest configuration; the others are not', () => {
    const projects = (config.test?.projects ?? []) as { test: { name: string; globalSetup?: string[] } }[];
    const guarded = projects.filter((p) => p.test.globalSetup?.includes('test/setup/root-tiers.ts')).map((p) => p.test.name);
    expect(guarded).toEqual(['root', 'e2e']);
    expect(projects.map((p) => p.test.name)).toEqual(['unit', 'files', 'root', 'e2e']);
  });
});

describe('no test skips itself but for want of root', () => {
  const top = join(import.meta.dirname, '../..');
  const files = fg.sync('test/**/*.test.ts', { cwd: top }).sort();
  const text = (file: string): string => readFileSync(join(top, file), 'utf8');
  // The root guard, and any other way of skipping a test or a group of tests.
  const ROOT_GUARD = /^describe\.(skipIf\(!isRoot\)|runIf\(isRoot\))\(/;
  const SKIPPING = /\b(describe|it|test)\.(skip|skipIf|runIf|todo)\b|\b(ctx|context)\.skip\(/;

  it('every group of the root and end-to-end tiers is guarded by root alone, so the skip count is right', () => {
    const tiers = files.filter((f) => /^test\/(root|e2e)\//.test(f));
    expect(tiers.length).toBeGreaterThan(20);
    const unguarded = tiers.filter((f) => {
      const groups = text(f).split('\n').filter((line) => /^describe\b/.test(line));
      return groups.length === 0 || !groups.every((line) => ROOT_GUARD.test(line));
    });
    expect(unguarded).toEqual([]);
  });

  it('no test skips itself on another condition (a missing host program fails the test, naming its package)', () => {
    const skipping = files.flatMap((f) => text(f).split('\n').filter((line) => SKIPPING.test(line) && !ROOT_GUARD.test(line)).map((line) => `${f}: ${line.trim()}`));
    expect(skipping).toEqual([]);
    expect(() => requireHostProgram(undefined, '/usr/bin/chromium', 'chromium')).toThrow(/^this test needs \/usr\/bin\/chromium \(Debian package chromium; \.ci\/setup-host installs it\)$/);
    expect(requireHostProgram('/bin/sh', '/bin/sh', 'dash')).toBe('/bin/sh');
  });
});
