// The root and e2e tiers cannot pass by skipping: run by a user who is not root they stop the run
// with one line, unless KILN_TESTS_SKIP_ROOT=1 says so, and then they say how much they skip.
import { describe, expect, it } from 'vitest';
import config from '../../vitest.config.js';
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
