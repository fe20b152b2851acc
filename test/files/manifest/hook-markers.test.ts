// The lines kiln writes into an image's dpkg log before each hook, which let the manifest say
// which hook installed each package. mmdebstrap leaves no dpkg log: the first hook's line must
// create it, or every package the next hooks install is credited to the bootstrap. A link where
// the log or its folder should be is never followed out of the image.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attributeInstalls } from '../../../lib/manifest/dpkg-log.js';
import { BuildRecord } from '../../../lib/manifest/record.js';
import { isRoot } from '../../helpers/host.js';
import { tempDir } from '../../helpers/tree.js';

describe.skipIf(!isRoot)('hook markers in the dpkg log (as root, as kiln writes them)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let root: string;
  beforeEach(() => {
    tmp = tempDir('kiln-markers-');
    root = join(tmp.path, 'root');
    mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
    writeFileSync(join(root, 'var/lib/dpkg/status'), 'Package: libc6\nStatus: install ok installed\nVersion: 2.36\n\n');
  });
  afterEach(() => tmp.cleanup());

  const start = (record: BuildRecord, phase: string, hook: string, flavour: string): void => record.sink({ type: 'hook-start', phase, hook, flavour });

  it('creates the log the bootstrap removed, so the packages a hook installs are credited to it', () => {
    mkdirSync(join(root, 'var/log'));
    const record = new BuildRecord();
    record.markRoot = root;
    start(record, 'root', '10-debian-bootstrap', 'debian');
    start(record, 'install', '05-bootloader-packages', 'bootloader');
    const log = join(root, 'var/log/dpkg.log');
    // dpkg appends what the hook installed.
    writeFileSync(log, `${readFileSync(log, 'utf8')}2026-12-01 20:46:57 status installed grub-pc-bin:amd64 2.06-13\n`);
    start(record, 'install', '50-base-hostname', 'base');
    const text = readFileSync(log, 'utf8');
    expect(text).toMatch(/^\S+ \S+ kiln-hook install 05-bootloader-packages bootloader\n\S+ \S+ status installed grub-pc-bin:amd64 2\.06-13\n\S+ \S+ kiln-hook install 50-base-hostname base\n$/);
    const bootstrap = { phase: 'root', hook: '10-debian-bootstrap', flavour: 'debian' };
    const by = attributeInstalls(text, [], bootstrap, ['libc6', 'grub-pc-bin']);
    expect(Object.fromEntries([...by].map(([name, ref]) => [name, ref.hook]))).toEqual({ 'grub-pc-bin': '05-bootloader-packages', libc6: '10-debian-bootstrap' });
  });

  it('writes nothing through a link: not where the log is a link, nor where var/log is', () => {
    const outside = join(tmp.path, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'dpkg.log'), '');
    mkdirSync(join(root, 'var/log'));
    symlinkSync(join(outside, 'dpkg.log'), join(root, 'var/log/dpkg.log'));
    const record = new BuildRecord();
    record.markRoot = root;
    start(record, 'install', '05-bootloader-packages', 'bootloader');
    expect(readFileSync(join(outside, 'dpkg.log'), 'utf8')).toBe('');

    const other = join(tmp.path, 'other-root');
    mkdirSync(join(other, 'var/lib/dpkg'), { recursive: true });
    writeFileSync(join(other, 'var/lib/dpkg/status'), '');
    symlinkSync(outside, join(other, 'var/log'));
    const second = new BuildRecord();
    second.markRoot = other;
    start(second, 'install', '05-bootloader-packages', 'bootloader');
    expect(readFileSync(join(outside, 'dpkg.log'), 'utf8')).toBe('');
  });

  it('leaves a root without dpkg alone', () => {
    const plain = join(tmp.path, 'plain');
    mkdirSync(join(plain, 'var/log'), { recursive: true });
    const record = new BuildRecord();
    record.markRoot = plain;
    start(record, 'install', '10-app', 'app');
    expect(existsSync(join(plain, 'var/log/dpkg.log'))).toBe(false);
  });
});
