// Paths inside an image root resolve within the root: absolute link targets mean the root's /,
// `..` stops at the root, loops are reported.
import { describe, expect, it } from 'vitest';
import { findProgram, LinkLoopError, resolveInRoot } from '../../../lib/ramdisk/root-view.js';
import { memoryView } from './memory-view.js';

const view = memoryView({
  '/bin': { link: 'usr/bin' },
  '/usr/bin/kmod': 'ELF',
  '/usr/sbin/modprobe': { link: '../bin/kmod' },
  '/usr/bin/abs': { link: '/usr/bin/kmod' },
  '/usr/bin/escape': { link: '../../../../usr/bin/kmod' },
  '/usr/bin/data': { data: 'x', mode: 0o644 },
  '/loop/a': { link: 'b' },
  '/loop/b': { link: 'a' },
  '/dangling': { link: '/nowhere' },
});

describe('resolveInRoot', () => {
  it('follows relative links and records each with its resolved folder', () => {
    expect(resolveInRoot(view, '/sbin/../bin/kmod')).toMatchObject({ path: '/usr/bin/kmod', links: [{ path: '/bin', target: 'usr/bin' }] });
    expect(resolveInRoot(view, '/usr/sbin/modprobe')).toEqual({
      path: '/usr/bin/kmod', stat: { kind: 'file', mode: 0o755 }, links: [{ path: '/usr/sbin/modprobe', target: '../bin/kmod' }],
    });
  });

  it('treats absolute targets as inside the root and never climbs above it', () => {
    expect(resolveInRoot(view, '/bin/abs')?.path).toBe('/usr/bin/kmod');
    expect(resolveInRoot(view, '/bin/escape')?.path).toBe('/usr/bin/kmod');
    expect(resolveInRoot(view, '/../../bin/kmod')?.path).toBe('/usr/bin/kmod');
  });

  it('is undefined for missing paths, dangling links and paths through files', () => {
    expect(resolveInRoot(view, '/usr/bin/none')).toBeUndefined();
    expect(resolveInRoot(view, '/dangling')).toBeUndefined();
    expect(resolveInRoot(view, '/usr/bin/kmod/x')).toBeUndefined();
  });

  it('reports link loops', () => {
    expect(() => resolveInRoot(view, '/loop/a')).toThrow(LinkLoopError);
  });
});

describe('findProgram', () => {
  it('searches the chroot PATH order and wants an executable file', () => {
    expect(findProgram(view, 'modprobe')).toBe('/usr/sbin/modprobe');
    expect(findProgram(view, 'kmod')).toBe('/usr/bin/kmod');
    expect(findProgram(view, 'data')).toBeUndefined();
    expect(findProgram(view, 'none')).toBeUndefined();
  });
});
