// binary-deps entries: names on the image's PATH, absolute paths and globs; every missing one
// is reported at once with its flavour and file.
import { describe, expect, it } from 'vitest';
import { MissingBinaryDepsError, parseBinaryDeps, resolveBinaryDeps } from '../../../lib/ramdisk/binary-deps.js';
import { memoryView } from './memory-view.js';

const view = memoryView({
  '/bin': { link: 'usr/bin' },
  '/usr/bin/dd': 'x',
  '/usr/sbin/ibstat': 'x',
  '/usr/bin/notexec': { data: 'x', mode: 0o644 },
  '/usr/lib/x86_64-linux-gnu/libibverbs/libmlx5-rdmav34.so': 'x',
  '/usr/lib/x86_64-linux-gnu/libibverbs/libmlx4-rdmav34.so': 'x',
  '/etc/libibverbs.d/mlx5.driver': { data: 'driver mlx5\n', mode: 0o644 },
});

describe('parseBinaryDeps', () => {
  it('splits on spaces and newlines and drops comments', () => {
    expect(parseBinaryDeps('# tools\ndd  sha256sum\n\n  lsblk # disks\n')).toEqual(['dd', 'sha256sum', 'lsblk']);
    expect(parseBinaryDeps('')).toEqual([]);
  });
});

describe('resolveBinaryDeps', () => {
  it('finds names on PATH and files by absolute path or glob, each once', () => {
    const result = resolveBinaryDeps(view, [
      { flavour: 'mellanox', path: '/f/mellanox/binary-deps', text: 'ibstat dd\n/usr/lib/*/libibverbs/libmlx*.so /etc/libibverbs.d/mlx5.driver' },
      { flavour: 'deploy', path: '/f/deploy/binary-deps', text: 'dd' },
    ]);
    expect(result).toEqual({
      paths: [
        '/usr/sbin/ibstat', '/usr/bin/dd',
        '/usr/lib/x86_64-linux-gnu/libibverbs/libmlx4-rdmav34.so', '/usr/lib/x86_64-linux-gnu/libibverbs/libmlx5-rdmav34.so',
        '/etc/libibverbs.d/mlx5.driver',
      ],
      missing: [],
    });
  });

  it('reports every missing entry with flavour and file; a non-executable name does not count', () => {
    const result = resolveBinaryDeps(view, [
      { flavour: 'deploy', path: '/f/deploy/binary-deps', text: 'dd notexec' },
      { flavour: 'mellanox', path: '/f/mellanox/binary-deps.d/10-tools', text: 'ibping /opt/*.so' },
    ]);
    expect(result.missing).toEqual([
      { flavour: 'deploy', file: '/f/deploy/binary-deps', entry: 'notexec' },
      { flavour: 'mellanox', file: '/f/mellanox/binary-deps.d/10-tools', entry: 'ibping' },
      { flavour: 'mellanox', file: '/f/mellanox/binary-deps.d/10-tools', entry: '/opt/*.so' },
    ]);
    const error = new MissingBinaryDepsError(result.missing);
    expect(error.message).toBe('flavour deploy lists "notexec" in /f/deploy/binary-deps, but the image root has no such program (and 2 more, below)');
    expect(error.exitCode).toBe(2);
    expect(error.details()).toContain('  flavour mellanox: "ibping" (/f/mellanox/binary-deps.d/10-tools)');
    expect(error.hint).toMatch(/package-installs/);
  });
});
