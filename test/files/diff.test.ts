// kiln-diff on real archives written by kiln's own command lines (no root): identical outputs,
// outputs that differ only in their SOURCE_DATE_EPOCH (timestamps only), and real changes
// (content, mode, a file on one side), for tar, tgz, tar.zst, an initramfs and JSON.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readInitramfs } from '../../lib/diff/cpio.js';
import { compareListings, verdict } from '../../lib/diff/listing.js';
import { parsePax } from '../../lib/diff/tar.js';
import { run } from '../../lib/exec/run.js';
import { cpioArgv } from '../../lib/ramdisk/archive.js';
import { tarArgv, tarCompression } from '../../lib/outputs/tar.js';
import { squashfsArgv } from '../../lib/outputs/squashfs.js';
import { bin } from '../helpers/host.js';
import { tempDir, writeTree } from '../helpers/tree.js';

function kilnDiff(...args: string[]): { status: number | null; out: string; err: string } {
  const result = spawnSync(bin('kiln-diff'), args, { encoding: 'utf8' });
  return { status: result.status, out: result.stdout, err: result.stderr };
}

describe('kiln-diff (real archives)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let root: string;
  beforeEach(() => {
    tmp = tempDir('kiln-diff-test-');
    root = join(tmp.path, 'root');
    writeTree(root, { 'etc/hostname': 'kiln\n', 'usr/bin/tool': { content: '#!/bin/sh\n', mode: 0o755 }, 'usr/share/doc/x': 'doc\n' });
    symlinkSync('tool', join(root, 'usr/bin/alias'));
    execFileSync('setfattr', ['-n', 'user.kiln', '-v', 'yes', join(root, 'etc/hostname')]);
  });
  afterEach(() => tmp.cleanup());

  const tarOf = async (name: string, format: string, epoch: number): Promise<string> => {
    const file = join(tmp.path, name);
    await run(tarArgv(root, tarCompression(format, false), epoch), { stdoutFile: file });
    return file;
  };

  for (const format of ['tar', 'tgz', 'tar.zst']) {
    it(`${format}: identical, then timestamps only, then a real change`, async () => {
      const one = await tarOf(`one.${format}`, format, 1700000000);
      const same = await tarOf(`same.${format}`, format, 1700000000);
      expect(kilnDiff(one, same)).toMatchObject({ status: 0, out: `${one} and ${same} are identical\n` });
      const later = await tarOf(`later.${format}`, format, 1700003600);
      const times = kilnDiff(one, later);
      expect(times.status, times.err).toBe(1);
      expect(times.out).toContain('/etc/hostname mtime: 2023-11-14T22:13:20Z -> 2023-11-14T23:13:20Z');
      expect(times.out).toMatch(/verdict: timestamps only: \d+ times differ/);
      writeFileSync(join(root, 'usr/share/doc/x'), 'changed\n');
      chmodSync(join(root, 'usr/bin/tool'), 0o700);
      writeFileSync(join(root, 'etc/new'), 'new\n');
      execFileSync('setfattr', ['-n', 'user.kiln', '-v', 'no', join(root, 'etc/hostname')]);
      const changed = kilnDiff(one, await tarOf(`changed.${format}`, format, 1700000000));
      expect(changed.status).toBe(1);
      expect(changed.out).toContain('/usr/share/doc/x content:');
      expect(changed.out).toContain('/usr/bin/tool mode: 0755 -> 0700');
      expect(changed.out).toContain('/etc/new: only in B (file)');
      expect(changed.out).toContain('/etc/hostname pax SCHILY.xattr.user.kiln: yes -> no');
      expect(changed.out).toMatch(/verdict: different: 1 content, 3 metadata, 1 only in B \(4 entries\)/);
    });
  }

  it('an initramfs: cpio archives, plain and zstd-compressed one after the other', async () => {
    const entries = ['.', 'etc', 'etc/hostname', 'usr', 'usr/bin', 'usr/bin/tool', 'usr/bin/alias'];
    const write = async (name: string, epoch: number): Promise<string> => {
      for (const e of entries) execFileSync('touch', ['-h', '-d', `@${epoch}`, join(root, e)]);
      const early = join(tmp.path, `${name}.early`);
      await run(cpioArgv(), { cwd: root, input: 'etc\0etc/hostname\0', stdoutFile: early });
      const main = join(tmp.path, `${name}.main`);
      await run(cpioArgv(), { cwd: root, input: `${entries.join('\0')}\0`, stdoutFile: main });
      execFileSync('zstd', ['-q', '-f', main, '-o', `${main}.zst`]);
      const file = join(tmp.path, name);
      writeFileSync(file, Buffer.concat([readFileSync(early), readFileSync(`${main}.zst`)]));
      return file;
    };
    const one = await write('one.img', 1700000000);
    const listing = await readInitramfs(readFileSync(one));
    expect(listing.format).toBe('initramfs (cpio + zstd + cpio)');
    expect(listing.entries.get('usr/bin/alias')).toMatchObject({ kind: 'symlink', meta: { link: 'tool' } });
    const two = await write('two.img', 1700000005);
    const result = kilnDiff(one, two);
    expect(result.out).toMatch(/verdict: timestamps only/);
  });

  it('squashfs: the creation time and the files\' times of another SOURCE_DATE_EPOCH are timestamps only', async () => {
    const write = async (name: string, epoch: number): Promise<string> => {
      execFileSync('find', ['.', '-exec', 'touch', '-h', '-d', `@${epoch}`, '{}', '+'], { cwd: root });
      const file = join(tmp.path, name);
      await run(squashfsArgv(root, file, epoch));
      return file;
    };
    const one = await write('one.squashfs', 1700000000);
    const two = await write('two.squashfs', 1700003600);
    const result = kilnDiff(one, two);
    expect(result.status, result.err).toBe(1);
    expect(result.out).toMatch(/header creation time: .*2023 -> .*2023/);
    expect(result.out).toContain('/usr/bin/tool mtime: 2023-11-14T22:13:20Z -> 2023-11-14T23:13:20Z');
    expect(result.out).toMatch(/verdict: timestamps only/);
  });

  it('JSON documents: field by field, dates as times', () => {
    const a = join(tmp.path, 'a.cdx.json');
    const b = join(tmp.path, 'b.cdx.json');
    writeFileSync(a, JSON.stringify({ metadata: { timestamp: '2023-11-14T22:13:20Z' }, components: [{ name: 'x', version: '1' }] }));
    writeFileSync(b, JSON.stringify({ metadata: { timestamp: '2023-11-15T22:13:20Z' }, components: [{ name: 'x', version: '2' }] }));
    const result = kilnDiff(a, b);
    expect(result.out).toContain('header components.0.version: "1" -> "2"');
    expect(result.out).toContain('verdict: different: 1 metadata, 1 time');
  });

  it('says what is wrong with its arguments (exit 2)', () => {
    const result = kilnDiff(join(tmp.path, 'missing'), join(tmp.path, 'missing2'));
    expect(result.status).toBe(2);
    expect(result.err).toMatch(/^kiln-diff: .*missing is not a file\nhint: /);
    writeFileSync(join(tmp.path, 'a.json'), '{}');
    const tar = join(tmp.path, 'x.tar');
    execFileSync('tar', ['-cf', tar, '-C', root, 'etc']);
    writeFileSync(join(tmp.path, 'b.json'), '{"a":1}');
    expect(kilnDiff(tar, join(tmp.path, 'b.json')).err).toMatch(/is tar but .* is json/);
  });
});

describe('diff listings (pure)', () => {
  it('reads pax records and classes differences', () => {
    expect(parsePax(Buffer.from('20 mtime=1700000000\n30 SCHILY.xattr.user.a=bcdefg\n'))).toEqual({ mtime: '1700000000', 'SCHILY.xattr.user.a': 'bcdefg' });
    const entry = (mtime: number, digest: string) => ({ path: 'f', kind: 'file' as const, meta: { mode: '0644' }, times: { mtime }, digest });
    const a = { format: 't', headers: { created: '1' }, timeHeaders: ['created'], entries: new Map([['f', entry(1, 'x')]]) };
    const b = { format: 't', headers: { created: '2' }, timeHeaders: ['created'], entries: new Map([['f', entry(2, 'x')]]) };
    const differences = compareListings(a, b);
    expect(differences.map((d) => [d.where, d.field, d.kind])).toEqual([['header', 'created', 'time'], ['f', 'mtime', 'time']]);
    expect(verdict(differences).timestampsOnly).toBe(true);
    const c = { ...b, entries: new Map([['f', entry(2, 'y')]]) };
    expect(verdict(compareListings(a, c))).toEqual({ timestampsOnly: false, text: 'different: 1 content, 2 time (1 entries)' });
  });
});
