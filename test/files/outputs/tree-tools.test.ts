// The tree output command lines with the real tar, gzip/pigz, zstd and mksquashfs on a tree the
// test user owns (no root): what goes in, what stays out, hard links, symlinks and holes. The
// root-owned case (owners, capabilities, device nodes) is in test/root/outputs.
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, ftruncateSync, utimesSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../../lib/exec/run.js';
import { squashfsArgv } from '../../../lib/outputs/squashfs.js';
import { tarArgv, tarCompression } from '../../../lib/outputs/tar.js';

const MiB = 1024 * 1024;
const EPOCH = 1700000000;

/** A small image-like tree, including leftovers in proc, sys and dev/pts that must stay out. */
function makeTree(root: string): void {
  for (const d of ['etc', 'usr/bin', 'usr/share/proc', 'proc/1', 'sys/kernel', 'dev/pts', 'tmp/in_target.d/install.d']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'kiln\n', { mode: 0o640 });
  writeFileSync(join(root, 'usr/bin/tool'), '#!/bin/sh\n', { mode: 0o755 });
  linkSync(join(root, 'usr/bin/tool'), join(root, 'usr/bin/tool-alias'));
  symlinkSync('tool', join(root, 'usr/bin/tool-link'));
  symlinkSync('/nonexistent/target', join(root, 'etc/dangling'));
  writeFileSync(join(root, 'usr/share/proc/keep'), 'not the kernel proc\n');
  writeFileSync(join(root, 'proc/cpuinfo'), 'host state\n');
  writeFileSync(join(root, 'proc/1/status'), 'host state\n');
  writeFileSync(join(root, 'sys/kernel/hostname'), 'host state\n');
  writeFileSync(join(root, 'dev/pts/ptmx'), 'host state\n');
  writeFileSync(join(root, 'tmp/in_target.d/install.d/50-hook'), 'hook\n');
  const fd = openSync(join(root, 'var.img'), 'w');
  ftruncateSync(fd, 64 * MiB);
  writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, 32 * MiB);
  closeSync(fd);
}

/** Checks an extracted tree has what belongs in the image and nothing of the host's. */
function expectImageTree(out: string): void {
  expect(readFileSync(join(out, 'etc/hostname'), 'utf8')).toBe('kiln\n');
  expect(statSync(join(out, 'etc/hostname')).mode & 0o777).toBe(0o640);
  expect(statSync(join(out, 'usr/bin/tool')).mode & 0o777).toBe(0o755);
  expect(statSync(join(out, 'usr/bin/tool-alias')).ino).toBe(statSync(join(out, 'usr/bin/tool')).ino);
  expect(readlinkSync(join(out, 'usr/bin/tool-link'))).toBe('tool');
  expect(readlinkSync(join(out, 'etc/dangling'))).toBe('/nonexistent/target');
  expect(readFileSync(join(out, 'usr/share/proc/keep'), 'utf8')).toBe('not the kernel proc\n');
  for (const d of ['proc', 'sys', 'dev/pts']) {
    expect(lstatSync(join(out, d)).isDirectory(), d).toBe(true);
    expect(execFileSync('ls', ['-A', join(out, d)]).toString(), `${d} is empty`).toBe('');
  }
  expect(execFileSync('ls', ['-A', join(out, 'tmp')]).toString()).toBe('');
  expect(statSync(join(out, 'var.img')).size).toBe(64 * MiB);
}

describe('tree output commands with real tools', () => {
  let dir: string;
  let root: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-tree-tools-'));
    root = join(dir, 'root');
    makeTree(root);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const tarballs: [string, boolean, string][] = [
    ['tar', true, ''],
    ['tgz', true, '1f8b'],
    ['tgz', false, '1f8b'],
    ['tar.zst', true, '28b52ffd'],
  ];
  for (const [format, pigz, magic] of tarballs) {
    it(`${format}${format === 'tgz' ? (pigz ? ' (pigz)' : ' (gzip)') : ''} keeps the tree and leaves out proc, sys, dev/pts and the hook tree`, async () => {
      const file = join(dir, `out.${format}`);
      await run(tarArgv(root, tarCompression(format, pigz), EPOCH), { stdoutFile: file });
      if (magic) expect(readFileSync(file).subarray(0, magic.length / 2).toString('hex')).toBe(magic);
      const out = join(dir, 'out');
      mkdirSync(out);
      execFileSync('tar', ['--extract', '--file', file, '--directory', out, '--auto-compress', ...(format === 'tar.zst' ? ['--zstd'] : [])]);
      expectImageTree(out);
      // Holes stay holes: 4 KiB of data in a 64 MiB file.
      expect(statSync(join(out, 'var.img')).blocks * 512).toBeLessThan(MiB);
      const members = execFileSync('tar', ['--list', '--file', file, ...(format === 'tar.zst' ? ['--zstd'] : format === 'tgz' ? ['--gzip'] : [])]).toString().split('\n');
      expect(members).toEqual(expect.arrayContaining(['./proc/', './sys/', './dev/pts/']));
      expect(members.filter((m) => /^\.\/(proc|sys|dev\/pts)\/./.test(m) || m.startsWith('./tmp/in_target.d'))).toEqual([]);
    });
  }

  it('squashfs keeps the tree and leaves out proc, sys, dev/pts and the hook tree', async () => {
    const file = join(dir, 'out.squashfs');
    await run(squashfsArgv(root, file, EPOCH));
    expect(readFileSync(file).subarray(0, 4).toString()).toBe('hsqs');
    const out = join(dir, 'out');
    execFileSync('unsquashfs', ['-no-progress', '-quiet', '-d', out, file]);
    expectImageTree(out);
  });

  /** Changes what a copy of the same tree changes: access and change times, and new files' times. */
  function touchTree(): void {
    chmodSync(join(root, 'etc/hostname'), 0o600);
    chmodSync(join(root, 'etc/hostname'), 0o640);
    readFileSync(join(root, 'usr/bin/tool'));
    utimesSync(join(root, 'usr/bin/tool'), new Date(), new Date());
  }

  const formats: [string, boolean][] = [['tar', false], ['tgz', true], ['tgz', false], ['tar.zst', false]];
  for (const [format, pigz] of formats) {
    it(`${format}${pigz ? ' (pigz)' : ''}: the same tree gives the same bytes, whatever its access and change times`, async () => {
      utimesSync(join(root, 'etc/hostname'), 1600000000, 1600000000);
      const one = join(dir, `one.${format}`);
      const two = join(dir, `two.${format}`);
      await run(tarArgv(root, tarCompression(format, pigz), EPOCH), { stdoutFile: one });
      await new Promise((r) => setTimeout(r, 1100));
      touchTree();
      await run(tarArgv(root, tarCompression(format, pigz), EPOCH), { stdoutFile: two });
      expect(readFileSync(two).equals(readFileSync(one))).toBe(true);
      if (format !== 'tar') return;
      // Times newer than the epoch are clamped, older ones kept; pax headers carry no atime/ctime.
      const listing = execFileSync('tar', ['--list', '--verbose', '--full-time', '--utc', '--file', one]).toString();
      expect(listing).toMatch(/2020-09-13 12:26:40 \.\/etc\/hostname/);
      expect(listing).toMatch(/2023-11-14 22:13:20 \.\/usr\/bin\/tool\n/);
      const raw = readFileSync(one).toString('latin1');
      expect(raw).not.toMatch(/ atime=| ctime=|PaxHeaders\.\d|GNUSparseFile\.\d/);
    });
  }

  it('squashfs: the same tree gives the same bytes, whatever its access and change times; created at the epoch', async () => {
    // mksquashfs keeps modification times as they are: kiln clamps the tree before this step.
    const one = join(dir, 'one.squashfs');
    const two = join(dir, 'two.squashfs');
    await run(squashfsArgv(root, one, EPOCH));
    await new Promise((r) => setTimeout(r, 1100));
    const times = statSync(join(root, 'usr/bin/tool'));
    touchTree();
    utimesSync(join(root, 'usr/bin/tool'), times.atime, times.mtime);
    await run(squashfsArgv(root, two, EPOCH));
    expect(readFileSync(two).equals(readFileSync(one))).toBe(true);
    expect(execFileSync('unsquashfs', ['-mkfs-time', one]).toString().trim()).toBe(String(EPOCH));
  });
});
