import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import { checksumLine } from '../../../lib/outputs/checksum.js';
import { imageOutputOrder } from '../../../lib/outputs/image.js';
import { outputOwner } from '../../../lib/outputs/owner.js';
import { checkQemuImgOptions, kilnOptions, qemuImgConvertArgv } from '../../../lib/outputs/qemu-img.js';
import { squashfsArgv } from '../../../lib/outputs/squashfs.js';
import { tarArgv, tarCompression } from '../../../lib/outputs/tar.js';
import { kernelMountsIn } from '../../../lib/outputs/tree.js';

describe('tar command', () => {
  it('archives the root to stdout with owners by number, xattrs, ACLs, holes and anchored exclusions', () => {
    expect(tarArgv('/w/root', 'none')).toEqual([
      'tar', '--create', '--file=-', '--directory=/w/root', '--numeric-owner',
      '--xattrs', '--xattrs-include=*', '--acls', '--sparse', '--sort=name',
      '--anchored', '--exclude=./proc/*', '--exclude=./sys/*', '--exclude=./dev/pts/*', '--exclude=./tmp/in_target.d',
      '.',
    ]);
  });

  it('compresses tar.zst with multithreaded zstd and tgz with pigz, else gzip', () => {
    expect(tarArgv('/r', tarCompression('tar.zst', true))).toContain('--use-compress-program=zstd -T0');
    expect(tarArgv('/r', tarCompression('tgz', true))).toContain('--use-compress-program=pigz');
    expect(tarArgv('/r', tarCompression('tgz', false))).toContain('--use-compress-program=gzip');
    expect(tarCompression('tar', true)).toBe('none');
    // The exclusions must come after --anchored (tar options are positional) and before the member.
    const argv = tarArgv('/r', 'zstd');
    expect(argv.indexOf('--anchored')).toBeLessThan(argv.indexOf('--exclude=./proc/*'));
    expect(argv.at(-1)).toBe('.');
  });
});

describe('mksquashfs command', () => {
  it('uses zstd, never appends, keeps xattrs and ends with the exclusion list', () => {
    const argv = squashfsArgv('/w/root', '/out/.img.squashfs.kiln-partial');
    expect(argv.slice(0, 3)).toEqual(['mksquashfs', '/w/root', '/out/.img.squashfs.kiln-partial']);
    expect(argv).toEqual(expect.arrayContaining(['-noappend', '-xattrs', '-no-recovery']));
    expect(argv.slice(argv.indexOf('-comp'), argv.indexOf('-comp') + 2)).toEqual(['-comp', 'zstd']);
    expect(argv.slice(argv.indexOf('-e'))).toEqual(['-e', 'proc/*', 'sys/*', 'dev/pts/*', 'tmp/in_target.d']);
    expect(argv[argv.indexOf('-e') - 1]).toBe('-wildcards');
  });
});

describe('qemu-img conversion', () => {
  const base = { source: '/w/image.raw', target: '/out/.img.x.kiln-partial', compress: true, zstd: true };

  it('compresses qcow2 with zstd by default, in parallel', () => {
    expect(qemuImgConvertArgv({ ...base, format: 'qcow2' })).toEqual([
      'qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', '-c', '-m', '16', '-W', '-o', 'compression_type=zstd',
      '/w/image.raw', '/out/.img.x.kiln-partial',
    ]);
  });

  it('falls back to zlib when qemu-img has no zstd, and does not compress with -u', () => {
    expect(qemuImgConvertArgv({ ...base, format: 'qcow2', zstd: false })).toEqual([
      'qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', '-c', '-m', '16', '-W', '/w/image.raw', '/out/.img.x.kiln-partial',
    ]);
    const uncompressed = qemuImgConvertArgv({ ...base, format: 'qcow2', compress: false });
    expect(uncompressed).not.toContain('-c');
    expect(uncompressed.join(' ')).not.toContain('compression_type');
  });

  it('writes fixed VHDs of exact size, streamOptimized VMDKs and plain VDIs', () => {
    expect(qemuImgConvertArgv({ ...base, format: 'vhd' }).slice(4, 12)).toEqual(['-O', 'vpc', '-m', '16', '-W', '-o', 'subformat=fixed,force_size=on', '/w/image.raw']);
    expect(qemuImgConvertArgv({ ...base, format: 'vmdk' })).toContain('subformat=streamOptimized');
    expect(qemuImgConvertArgv({ ...base, format: 'vmdk', compress: false })).toContain('subformat=monolithicSparse');
    expect(qemuImgConvertArgv({ ...base, format: 'vdi' })).not.toContain('-o');
    // -c is qcow2's; the others never get it.
    for (const format of ['vhd', 'vmdk', 'vdi']) expect(qemuImgConvertArgv({ ...base, format })).not.toContain('-c');
  });

  it("passes the user's options as a second -o after kiln's, so they win", () => {
    const argv = qemuImgConvertArgv({ ...base, format: 'qcow2', userOptions: 'compression_type=zlib,cluster_size=2M' });
    expect(argv.slice(-6, -2)).toEqual(['-o', 'compression_type=zstd', '-o', 'compression_type=zlib,cluster_size=2M']);
  });

  it('refuses formats qemu-img does not make', () => {
    expect(() => qemuImgConvertArgv({ ...base, format: 'tar' })).toThrow(UsageError);
    expect(kilnOptions({ format: 'raw', compress: true, zstd: true })).toEqual([]);
  });

  it('checks --qemu-img-options syntax', () => {
    expect(checkQemuImgOptions('compat=1.1,cluster_size=2M')).toBe('compat=1.1,cluster_size=2M');
    expect(checkQemuImgOptions('backing_file=a,,b')).toBe('backing_file=a,,b');
    expect(() => checkQemuImgOptions('compat=1.1,lazy')).toThrow(/"lazy" is not key=value/);
    expect(() => checkQemuImgOptions('')).toThrow(UsageError);
  });

  it('writes raw last because it is moved, each format once', () => {
    expect(imageOutputOrder(['raw', 'qcow2', 'tar', 'vhd', 'qcow2'])).toEqual(['qcow2', 'vhd', 'raw']);
    expect(imageOutputOrder(['tar.zst'])).toEqual([]);
  });
});

describe('tree output guards', () => {
  it('finds kernel filesystems and the hook tree still mounted in the root', () => {
    const mounts = ['/w/root/proc', '/w/root/sys/fs/cgroup', '/w/root/dev', '/w/root/dev/pts', '/w/root/boot', '/w/root/tmp/in_target.d', '/w/root/devices'];
    expect(kernelMountsIn('/w/root/', mounts)).toEqual(['/w/root/proc', '/w/root/sys/fs/cgroup', '/w/root/dev', '/w/root/dev/pts', '/w/root/tmp/in_target.d']);
    expect(kernelMountsIn('/w/root', ['/w/root/boot', '/w/root/boot/efi'])).toEqual([]);
  });
});

describe('partial files and ownership', () => {
  it('gives outputs to the sudo user when kiln runs as root through sudo', () => {
    expect(outputOwner({ SUDO_UID: '1000', SUDO_GID: '1001' }, 0, 0)).toEqual({ uid: 1000, gid: 1001 });
    expect(outputOwner({}, 0, 0)).toBeUndefined();
    expect(outputOwner({ SUDO_UID: '0', SUDO_GID: '0' }, 0, 0)).toBeUndefined();
    expect(outputOwner({ SUDO_UID: 'x', SUDO_GID: '1' }, 0, 0)).toBeUndefined();
    expect(outputOwner({ SUDO_UID: '1000', SUDO_GID: '1000' }, 1000, 1000)).toEqual({ uid: 1000, gid: 1000 });
  });
});

describe('checksum lines', () => {
  it('uses the coreutils format, escaping backslashes and newlines like sha256sum', () => {
    expect(checksumLine('abc', 'img.qcow2')).toBe('abc  img.qcow2\n');
    expect(checksumLine('abc', 'a\\b\nc')).toBe('\\abc  a\\\\b\\nc\n');
  });
});
