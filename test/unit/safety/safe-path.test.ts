// Path resolution that a hostile image or a symlinked TMPDIR cannot turn against the host.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import { isAtOrBelow, resolveHostPath, resolveInRoot, resolveParent, UnsafePathError } from '../../../lib/resources/safe-path.js';

describe('resolveInRoot: paths in an image resolve as inside a chroot', () => {
  let root: string;
  beforeAll(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-saferoot-')));
    mkdirSync(join(root, 'real/etc'), { recursive: true });
    writeFileSync(join(root, 'real/etc/file'), 'x');
    symlinkSync('/etc', join(root, 'evil'));
    symlinkSync('/selfloop', join(root, 'selfloop'));
    symlinkSync('/real/etc', join(root, 'etc2'));
    symlinkSync('../../../../../etc/shadow', join(root, 'real/etc/shadow-link'));
    symlinkSync('loop-b', join(root, 'loop-a'));
    symlinkSync('loop-a', join(root, 'loop-b'));
    symlinkSync('/dev', join(root, 'dev'));
    symlinkSync('/nowhere/at/all', join(root, 'dangling'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('an absolute link means the image\'s own path, never the host\'s', () => {
    expect(resolveInRoot(root, '/evil/resolv.conf')).toBe(join(root, 'etc/resolv.conf'));
    expect(resolveInRoot(root, 'etc2/file')).toBe(join(root, 'real/etc/file'));
  });
  it('.. in a link stops at the image root', () => {
    expect(resolveInRoot(root, 'real/etc/shadow-link')).toBe(join(root, 'etc/shadow'));
    expect(resolveInRoot(root, '../../../../etc/passwd')).toBe(join(root, 'etc/passwd'));
  });
  it('keeps a final link as it is when asked, and missing components as written', () => {
    expect(resolveInRoot(root, 'etc2', { followFinal: false })).toBe(join(root, 'etc2'));
    expect(resolveInRoot(root, 'dangling/x/y')).toBe(join(root, 'nowhere/at/all/x/y'));
  });
  it('refuses link loops and files used as folders, saying where', () => {
    expect(() => resolveInRoot(root, 'loop-a/x')).toThrow(UnsafePathError);
    expect(() => resolveInRoot(root, 'loop-a/x')).toThrow(/too many levels of symbolic links/);
    expect(() => resolveInRoot(root, 'dev/pts')).toThrow(/symbolic links/);
    expect(() => resolveInRoot(root, 'selfloop/x')).toThrow(/symbolic links/);
    expect(() => resolveInRoot(root, 'real/etc/file/x')).toThrow(/\/real\/etc\/file is not a folder/);
  });
  it('every result stays inside the root', () => {
    for (const path of ['evil', 'etc2/../../..', 'real/etc/shadow-link', '/../..', 'dangling']) {
      expect(isAtOrBelow(resolveInRoot(root, path), root), path).toBe(true);
    }
  });
});

describe('resolveHostPath: a host path resolved once', () => {
  let base: string;
  beforeAll(() => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-safehost-')));
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'link'));
    symlinkSync(join(base, 'real/target'), join(base, 'real/final-link'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('resolves symlinks and relative paths, also for paths that do not exist yet', () => {
    expect(resolveHostPath(join(base, 'link'))).toBe(join(base, 'real'));
    expect(resolveHostPath('link/a/b', base)).toBe(join(base, 'real/a/b'));
    expect(resolveHostPath('.', join(base, 'link'))).toBe(join(base, 'real'));
  });
  it('a path that cannot be looked up is bad input, said in one line (exit 2), not an internal error', () => {
    symlinkSync(join(base, 'loop-b'), join(base, 'loop-a'));
    symlinkSync(join(base, 'loop-a'), join(base, 'loop-b'));
    const attempt = () => resolveHostPath(join(base, 'loop-a/tmp'));
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(`${join(base, 'loop-a/tmp')}: too many levels of symbolic links (ELOOP) while resolving it`);
  });
  it('resolveParent does not follow a link at the path itself', () => {
    expect(resolveParent(join(base, 'link/final-link'))).toBe(join(base, 'real/final-link'));
  });
  it('isAtOrBelow compares whole components', () => {
    expect(isAtOrBelow('/tmp/kiln-build.x/root', '/tmp/kiln-build.x')).toBe(true);
    expect(isAtOrBelow('/tmp/kiln-build.xy', '/tmp/kiln-build.x')).toBe(false);
  });
});
