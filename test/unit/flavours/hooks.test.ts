import { describe, expect, it } from 'vitest';
import { compareHookNames, mergePhaseHooks, numericPrefix } from '../../../lib/flavours/hooks.js';
import type { DirEntryInfo } from '../../../lib/flavours/metadata.js';
import { execFileSync } from 'node:child_process';

const entry = (name: string, opts: Partial<DirEntryInfo> = {}): DirEntryInfo => ({
  name, path: `/f/${name}`, isFile: true, isExecutable: true, ...opts,
});

describe('hook ordering', () => {
  it('matches DIB\'s documented example', () => {
    const names = ['100-z', '10-b', 'abc', '9-a', '_foo', '01-y', 'Z', '10-a', '00-x'];
    expect([...names].sort(compareHookNames)).toEqual(['00-x', 'Z', '_foo', 'abc', '01-y', '9-a', '10-a', '10-b', '100-z']);
  });
  it('matches `LANG=C sort -n` on a mixed list', () => {
    const names = ['50-b', '5-a', '05-c', 'a', '-3x', '0', '0050', '50', '49-zz', 'B-1', '10', '1a', '1-a', '1_a'];
    const expected = execFileSync('sort', ['-n'], { input: `${names.join('\n')}\n`, env: { LANG: 'C', LC_ALL: 'C' } })
      .toString().trim().split('\n');
    expect([...names].sort(compareHookNames)).toEqual(expected);
  });
  it('reads numeric prefixes', () => {
    expect(numericPrefix('10-a')).toBe(10);
    expect(numericPrefix('abc')).toBe(0);
    expect(numericPrefix('007')).toBe(7);
  });
});

describe('merging a phase across flavours', () => {
  it('merges and orders hooks of all flavours', () => {
    const { hooks, warnings } = mergePhaseHooks('install.d', [
      { flavour: 'a', entries: [entry('50-a'), entry('10-a')] },
      { flavour: 'b', entries: [entry('20-b')] },
    ]);
    expect(hooks.map((h) => `${h.flavour}:${h.name}`)).toEqual(['a:10-a', 'b:20-b', 'a:50-a']);
    expect(warnings).toEqual([]);
  });
  it('reports skipped files instead of hiding them', () => {
    const { hooks, warnings } = mergePhaseHooks('install.d', [
      { flavour: 'a', entries: [entry('10-foo.sh'), entry('20-bar', { isExecutable: false }), entry('30 space'), entry('sub', { isFile: false })] },
    ]);
    expect(hooks).toEqual([]);
    expect(warnings).toEqual([
      'skipping /f/10-foo.sh (flavour a, install.d): its name has a dot (hook names allow only 0-9 A-Z a-z _ -)',
      'skipping /f/20-bar (flavour a, install.d): it is not executable (chmod +x it)',
      'skipping /f/30 space (flavour a, install.d): its name has characters other than 0-9 A-Z a-z _ -',
    ]);
  });
  it('rejects the same hook name from two flavours, naming both', () => {
    expect(() => mergePhaseHooks('install.d', [
      { flavour: 'a', entries: [entry('50-x')] },
      { flavour: 'b', entries: [{ ...entry('50-x'), path: '/g/50-x' }] },
    ])).toThrow('hook install.d/50-x exists in flavour "a" (/f/50-x) and in flavour "b" (/g/50-x)');
  });
});
