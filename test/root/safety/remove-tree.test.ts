// kiln's recursive removal never reaches through a mount: while anything is mounted below a tree
// (a bind-mounted host folder, as the chroot's /dev and cache folders are), removeTree() refuses
// and names the mount, also when it is given the tree through a symlink or a relative path (the
// mount table shows only real paths); a symlink given to it is removed, never followed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeTree, StillMountedError } from '../../../lib/resources/remove-tree.js';
import { isRoot } from '../../helpers/host.js';
import { mountsUnder } from '../../helpers/hostile.js';

describe.skipIf(!isRoot)('removeTree (root)', () => {
  let base: string;
  const canaries = (): string[] => readdirSync(join(base, 'host')).sort();
  beforeEach(() => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-remove-tree-')));
    mkdirSync(join(base, 'host'));
    for (const name of ['keep-me', 'and-me']) writeFileSync(join(base, 'host', name), 'canary\n');
    mkdirSync(join(base, 'tree/root/dev'), { recursive: true });
    writeFileSync(join(base, 'tree/root/file'), 'x');
    execFileSync('mount', ['--bind', join(base, 'host'), join(base, 'tree/root/dev')]);
    symlinkSync(join(base, 'tree'), join(base, 'tree-link'));
  });
  afterEach(() => {
    for (const point of mountsUnder(base)) execFileSync('umount', [point]);
    rmSync(base, { recursive: true, force: true });
  });

  it.each([
    ['its real path', (): string => join(base, 'tree')],
    ['a symlink to it', (): string => join(base, 'tree-link')],
    ['a path through a symlink', (): string => join(base, 'tree-link/root')],
    ['a relative path', (): string => relative(process.cwd(), join(base, 'tree'))],
  ])('refuses a tree with a mount below it, given as %s, and names the mount', async (_how, path) => {
    const error = await removeTree(path()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StillMountedError);
    expect((error as Error).message).toContain(`${join(base, 'tree/root/dev')} is still mounted below it`);
    expect(canaries()).toEqual(['and-me', 'keep-me']);
    expect(readFileSync(join(base, 'tree/root/file'), 'utf8')).toBe('x');
  });

  it('removes the tree once nothing is mounted below it; a symlink is removed, not followed', async () => {
    execFileSync('umount', [join(base, 'tree/root/dev')]);
    await removeTree(join(base, 'tree-link'));
    expect(existsSync(join(base, 'tree-link'))).toBe(false);
    expect(readFileSync(join(base, 'tree/root/file'), 'utf8')).toBe('x');
    await removeTree(join(base, 'tree'));
    expect(existsSync(join(base, 'tree'))).toBe(false);
    expect(canaries()).toEqual(['and-me', 'keep-me']);
  });
});
