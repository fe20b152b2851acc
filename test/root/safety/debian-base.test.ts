// The debian flavour's cached base tree records its size and sha256 beside it and is checked
// before it is unpacked: a damaged one, or one without its record, is moved aside with a warning
// and bootstrapped anew (here offline, so the script then stops and says why). The script runs on
// its own, offline, with a tiny planted tarball: no mirror and no real bootstrap are needed.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256OfFile } from '../../../lib/cache/layer-store.js';
import { isRoot, repo } from '../../helpers/host.js';
import { tempDir, writeTree } from '../../helpers/tree.js';

const script = join(repo, 'flavours/debian/root.d/10-debian-bootstrap');

describe.skipIf(!isRoot)('the debian base tree in the cache (root)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('kiln-debian-base-');
  });
  afterEach(() => tmp.cleanup());

  const root = (): string => join(tmp.path, 'root');
  const baseDir = (): string => join(tmp.path, 'cache/debian');
  const bootstrap = (): { code: number; out: string } => {
    mkdirSync(root(), { recursive: true });
    const r = spawnSync('bash', [script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH, TMPDIR: tmp.path, TARGET_ROOT: root(), DIB_IMAGE_CACHE: join(tmp.path, 'cache'), KILN_SUDO: '', DIB_OFFLINE: '1',
        DIB_RELEASE: 'bookworm', ARCH: 'amd64', DIB_DISTRIBUTION_MIRROR: 'http://deb.debian.org/debian', DIB_DEBIAN_COMPONENTS: 'main',
      },
    });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  };
  /** Plants a base tree holding one file where the script looks for it; returns its path. */
  const plantBase = (record: boolean): string => {
    const first = bootstrap();
    expect(first.out).toMatch(/offline .* and no cached base tree/);
    const base = /no cached base tree (\S+\.tar\.zst);/.exec(first.out)![1]!;
    writeTree(join(tmp.path, 'tree'), { 'etc/planted': 'from the cache\n' });
    mkdirSync(baseDir(), { recursive: true });
    execFileSync('sh', ['-c', `tar -C "$1" -cf - . | zstd -q -o "$2"`, 'sh', join(tmp.path, 'tree'), base]);
    if (record) writeFileSync(`${base}.sha256`, `${statSync(base).size} ${execFileSync('sha256sum', [base], { encoding: 'utf8' }).split(' ')[0]}\n`);
    return base;
  };

  it('an intact base tree is unpacked', () => {
    plantBase(true);
    const r = bootstrap();
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(join(root(), 'etc/planted'), 'utf8')).toBe('from the cache\n');
  });

  it('a base tree with a changed byte is moved aside with a warning and not unpacked', async () => {
    const base = plantBase(true);
    const before = await sha256OfFile(base);
    const fd = openSync(base, 'r+');
    writeSync(fd, Buffer.from('kiln'), 0, 4, Math.floor(statSync(base).size / 2));
    closeSync(fd);
    const r = bootstrap();
    expect(r.code).toBe(1);
    expect(r.out).toContain(`WARNING: the cached base tree ${base} does not match its recorded size and sha256; moved it to ${baseDir()}/corrupt/`);
    expect(r.out).toMatch(/offline .* and no cached base tree/);
    expect(existsSync(join(root(), 'etc/planted'))).toBe(false);
    expect(existsSync(base) || existsSync(`${base}.sha256`)).toBe(false);
    const aside = readdirSync(join(baseDir(), 'corrupt'));
    expect(aside).toHaveLength(1);
    expect(await sha256OfFile(join(baseDir(), 'corrupt', aside[0]!))).not.toBe(before);
  });

  it('a base tree without its record (an older kiln stored it) is not trusted', () => {
    const base = plantBase(false);
    const r = bootstrap();
    expect(r.code).toBe(1);
    expect(r.out).toContain(`WARNING: the cached base tree ${base} has no recorded size and sha256 (an older kiln stored it)`);
    expect(existsSync(join(root(), 'etc/planted'))).toBe(false);
  });

  it('a truncated base tree is moved aside', () => {
    const base = plantBase(true);
    execFileSync('truncate', ['-s', String(statSync(base).size - 10), base]);
    const r = bootstrap();
    expect(r.code).toBe(1);
    expect(r.out).toContain(`the cached base tree ${base} does not match its recorded size and sha256`);
    expect(readdirSync(join(baseDir(), 'corrupt'))).toHaveLength(1);
  });
});
