// diskimage-builder's test_elementdeps.py cases (dib.md 2.6), on real flavour trees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverFlavours } from '../../../lib/flavours/discover.js';
import { readFlavour } from '../../../lib/flavours/metadata.js';
import { defaultOsNote, expandRequest, resolveFlavours, type FlavourDeclaration } from '../../../lib/flavours/resolve.js';
import { UsageError } from '../../../lib/errors.js';
import { tempDir, writeTree } from '../../helpers/tree.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

const tmp = tempDir();
let catalogue: Map<string, FlavourDeclaration & { path: string }>;
let overrides: string[];

beforeAll(() => {
  writeTree(tmp.path, {
    'elements/foo/element-provides': 'operating-system\n',
    'elements/requires-foo/element-deps': 'foo\n',
    'elements/requires-requires-foo/element-deps': 'requires-foo\n',
    'elements/self/element-deps': 'self\n',
    'elements/provides_virtual/element-provides': 'virtual\n',
    'elements/also_provides_virtual/element-provides': 'virtual\n',
    'elements/requires_virtual/element-deps': 'virtual\n',
    'elements/requires_virtual/element-provides': 'operating-system\n',
    'elements/virtual/element-deps': 'extra_dependency\n',
    'elements/extra_dependency/README.md': 'x',
    'elements/circular1/element-deps': 'circular2\n',
    'elements/circular1/element-provides': 'operating-system\n',
    'elements/circular2/element-deps': 'circular1\n',
    'elements/provides_new_virtual/element-provides': 'new_virtual\noperating-system\n',
    'elements/requires_new_virtual/element-deps': 'new_virtual\n',
    'elements/override_element/README.md': 'lower',
    'element-override/override_element/README.md': 'upper',
    // kiln's own metadata names and comments
    'elements/commented/flavour-deps': '# a comment\n\nfoo   \n  # another\n',
    'elements/mixed/flavour-deps': 'foo\n',
    'elements/mixed/element-deps': 'self\n',
  });
  const discovery = discoverFlavours([
    { dir: join(tmp.path, 'element-override'), origin: 'ELEMENTS_PATH' },
    { dir: join(tmp.path, 'elements'), origin: 'ELEMENTS_PATH' },
  ]);
  overrides = discovery.warnings;
  catalogue = new Map([...discovery.flavours.values()].map((f) => [f.name, { ...readFlavour(f), path: f.path }]));
});
afterAll(() => tmp.cleanup());

const resolve = (names: string[]) => resolveFlavours(names, catalogue, { searched: ['elements'] });
const sorted = (names: string[]) => [...names].sort();

describe('resolution (DIB test_elementdeps)', () => {
  it('non-transitive deps', () => {
    const result = resolve(['requires-foo']);
    expect(sorted(result.names)).toEqual(['foo', 'requires-foo']);
    expect(catalogue.get('foo')!.path).toBe(join(tmp.path, 'elements/foo'));
  });
  it('missing deps', () => {
    expect(() => resolve(['fake'])).toThrow(/flavour "fake" not found/);
  });
  it('transitive deps', () => {
    expect(sorted(resolve(['requires-requires-foo']).names)).toEqual(['foo', 'requires-foo', 'requires-requires-foo']);
  });
  it('no deps', () => {
    expect(resolve(['foo']).names).toEqual(['foo']);
  });
  it('self dependency', () => {
    expect(sorted(resolve(['self', 'foo']).names)).toEqual(['foo', 'self']);
  });
  it('circular dependencies', () => {
    expect(sorted(resolve(['circular1']).names)).toEqual(['circular1', 'circular2']);
  });
  it('provided virtual names are satisfied and never looked up', () => {
    const names = resolve(['provides_virtual', 'requires_virtual']).names;
    expect(sorted(names)).toEqual(['provides_virtual', 'requires_virtual']);
    expect(names).not.toContain('virtual');
    expect(names).not.toContain('extra_dependency');
  });
  it('asking for a name another flavour provides is an error', () => {
    expect(() => resolve(['virtual', 'provides_virtual'])).toThrow(/"virtual" was asked for, but "provides_virtual" already provides "virtual"/);
  });
  it('consumer listed before its provider', () => {
    expect(sorted(resolve(['requires_new_virtual', 'provides_new_virtual']).names)).toEqual(['provides_new_virtual', 'requires_new_virtual']);
  });
  it('two flavours providing the same name', () => {
    expect(() => resolve(['provides_virtual', 'also_provides_virtual', 'foo'])).toThrow(/"virtual" is provided by both "provides_virtual" and "also_provides_virtual"/);
  });
  it('no operating system', () => {
    expect(() => resolve(['provides_virtual'])).toThrow(/no flavour provides "operating-system"/);
    try {
      resolve(['provides_virtual']);
    } catch (error) {
      expect((error as UsageError).hint).toMatch(/add one of: circular1, foo, provides_new_virtual, requires_virtual/);
      expect((error as UsageError).exitCode).toBe(2);
    }
  });
  it('no operating system named: the default one (debian) is added with its dependencies, and said', () => {
    const withDefault = new Map(catalogue);
    withDefault.set('debian', { deps: ['requires-foo-like'], provides: ['operating-system'], path: '/f/debian' });
    withDefault.set('requires-foo-like', { deps: [], provides: [], path: '/f/requires-foo-like' });
    const result = resolveFlavours(['provides_virtual'], withDefault, { searched: ['elements'] });
    expect(result.names).toEqual(['provides_virtual', 'debian', 'requires-foo-like']);
    expect(result.defaultOs).toBe('debian');
    expect(defaultOsNote('debian')).toBe('no flavour provides "operating-system": building with "debian", kiln\'s default operating system (name one to choose another)');
    expect(resolveFlavours(['foo'], withDefault, { searched: ['elements'] }).defaultOs).toBeUndefined();
    expect(resolveFlavours(['foo'], withDefault, { searched: ['elements'] }).names).toEqual(['foo']);
  });
  it('operating-system passed as a flavour', () => {
    expect(() => resolve(['circular1', 'operating-system'])).toThrow(/"operating-system" was asked for, but "circular1" already provides/);
  });
  it('earlier search-path entries override later ones, with a warning naming both', () => {
    expect(catalogue.get('override_element')!.path).toBe(join(tmp.path, 'element-override/override_element'));
    expect(overrides).toEqual([
      `flavour override_element: ${join(tmp.path, 'element-override/override_element')} (ELEMENTS_PATH) overrides ${join(tmp.path, 'elements/override_element')} (ELEMENTS_PATH)`,
    ]);
    expect(sorted(resolve(['override_element', 'foo']).names)).toEqual(['foo', 'override_element']);
  });
  it('an entry that is not a directory is an error naming it', () => {
    const file = join(tmp.path, 'not-a-dir');
    writeFileSync(file, '');
    expect(() => discoverFlavours([{ dir: file, origin: 'ELEMENTS_PATH' }])).toThrow(`ELEMENTS_PATH entry '${file}' is not a directory`);
    expect(() => discoverFlavours([{ dir: join(tmp.path, 'missing'), origin: 'FLAVOURS_PATH' }])).toThrow(/FLAVOURS_PATH entry .*missing' is not a directory/);
  });
  it('reads flavour-deps with comments and blank lines, merged with element-deps', () => {
    expect(catalogue.get('commented')!.deps).toEqual(['foo']);
    expect(sorted([...catalogue.get('mixed')!.deps])).toEqual(['foo', 'self']);
  });
  it('suggests close names and says where it looked', () => {
    try {
      resolve(['requires-fo']);
      expect.unreachable();
    } catch (error) {
      expect((error as UsageError).message).toContain('searched elements');
      expect((error as UsageError).hint).toContain('"requires-foo"');
    }
  });
  it('names the flavour that needed a missing dependency', () => {
    const local = new Map(catalogue);
    local.set('needs-ghost', { deps: ['ghost'], provides: [], path: '' } as never);
    expect(() => resolveFlavours(['needs-ghost', 'foo'], local, { searched: [] })).toThrow(/flavour "ghost" \(a dependency of needs-ghost\) not found/);
  });
  it('gives a stable order: requested first, then dependencies as found', () => {
    expect(resolve(['requires-requires-foo']).names).toEqual(['requires-requires-foo', 'requires-foo', 'foo']);
  });
});

describe('request expansion', () => {
  const known = new Set(['base', 'vm', 'debian', 'block-device-gpt']);
  it('adds base first unless -n', () => {
    expect(expandRequest(['debian'], { skipBase: false, known, arch: 'amd64' })).toEqual(['base', 'debian']);
    expect(expandRequest(['debian'], { skipBase: true, known, arch: 'amd64' })).toEqual(['debian']);
    expect(expandRequest(['debian'], { skipBase: false, known: new Set(['debian']), arch: 'amd64' })).toEqual(['debian']);
  });
  it('vm without a layout gets block-device-mbr (efi on arm64)', () => {
    expect(expandRequest(['debian', 'vm'], { skipBase: true, known, arch: 'amd64' })).toEqual(['debian', 'vm', 'block-device-mbr']);
    expect(expandRequest(['debian', 'vm'], { skipBase: true, known, arch: 'arm64' })).toEqual(['debian', 'vm', 'block-device-efi']);
    expect(expandRequest(['debian', 'vm', 'block-device-gpt'], { skipBase: true, known, arch: 'amd64' })).toEqual(['debian', 'vm', 'block-device-gpt']);
  });
  it('ramdisk builds put their flavour first', () => {
    expect(expandRequest(['deploy'], { skipBase: false, known, arch: 'amd64', prepend: ['ramdisk'] })).toEqual(['ramdisk', 'base', 'deploy']);
  });
});
