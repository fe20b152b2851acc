// Image reading, the pure parts: what a file is, its partitions, the exact losetup/mount/tar/cp
// argv, and disk-image-get-kernel's option checks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOptions, defaultPrefix } from '../../lib/cli/disk-image-get-kernel.js';
import { UsageError } from '../../lib/errors.js';
import { requiredTools } from '../../lib/exec/host-tools.js';
import { IMAGE_READ_TOOLS } from '../../lib/image-read/image-read-tools.js';
import { detectImage, filesystemAt } from '../../lib/image-read/detect.js';
import { copyRootArgv, otherMounts, untarArgv } from '../../lib/image-read/extract-root.js';
import { losetupArgv, readOnlyMountOptions } from '../../lib/image-read/mount-volume.js';
import { candidatePartitions, parseSfdiskJson } from '../../lib/image-read/partitions.js';

function head(size: number, writes: [number, Buffer | string][]): Buffer {
  const buf = Buffer.alloc(size);
  for (const [at, data] of writes) (typeof data === 'string' ? Buffer.from(data, 'latin1') : data).copy(buf, at);
  return buf;
}

describe('detectImage', () => {
  it('knows qcow2, GPT, MBR, bare filesystems and tarballs', () => {
    expect(detectImage(head(1024, [[0, 'QFI\xfb']]))).toEqual({ kind: 'qcow2' });
    expect(detectImage(head(1024, [[510, Buffer.from([0x55, 0xaa])], [512, 'EFI PART']]))).toEqual({ kind: 'partitioned', table: 'gpt' });
    expect(detectImage(head(1024, [[510, Buffer.from([0x55, 0xaa])]]))).toEqual({ kind: 'partitioned', table: 'dos' });
    expect(detectImage(head(2048, [[1024 + 56, Buffer.from([0x53, 0xef])]]))).toEqual({ kind: 'filesystem', fstype: 'ext4' });
    expect(detectImage(head(1024, [[0, 'XFSB']]))).toEqual({ kind: 'filesystem', fstype: 'xfs' });
    expect(detectImage(head(0x10048, [[0x10040, '_BHRfS_M']]))).toEqual({ kind: 'filesystem', fstype: 'btrfs' });
    expect(detectImage(head(16, [[0, Buffer.from([0x1f, 0x8b, 8])]]))).toEqual({ kind: 'tarball', compression: 'gzip' });
    expect(detectImage(head(16, [[0, Buffer.from([0x28, 0xb5, 0x2f, 0xfd])]]))).toEqual({ kind: 'tarball', compression: 'zstd' });
    expect(detectImage(head(16, [[0, '\xfd7zXZ\0']]))).toEqual({ kind: 'tarball', compression: 'xz' });
    expect(detectImage(head(512, [[257, 'ustar']]))).toEqual({ kind: 'tarball', compression: 'none' });
    expect(detectImage(Buffer.from('just text\n'))).toEqual({ kind: 'unknown' });
    expect(detectImage(Buffer.alloc(0))).toEqual({ kind: 'unknown' });
  });

  it('finds a filesystem in a partition head, or none', () => {
    expect(filesystemAt(Buffer.alloc(4096))).toBeUndefined();
    expect(filesystemAt(head(1100, [[1024 + 56, Buffer.from([0x53, 0xef])]]))).toBe('ext4');
  });
});

describe('partitions', () => {
  const gpt = JSON.stringify({
    partitiontable: {
      label: 'gpt', sectorsize: 512,
      partitions: [
        { node: 'd.raw1', start: 2048, size: 2048, type: '21686148-6449-6E6F-744E-656564454649' },
        { node: 'd.raw2', start: 4096, size: 16384, type: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b' },
        { node: 'd.raw3', start: 20480, size: 1000000, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4' },
        { node: 'd.raw4', start: 1020480, size: 500000, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4' },
        { node: 'd.raw5', start: 1520480, size: 9000000, type: '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F' },
      ],
    },
  });

  it('reads sfdisk JSON in bytes', () => {
    expect(parseSfdiskJson(gpt)[2]).toEqual({ number: 3, start: 20480 * 512, size: 1000000 * 512, type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4' });
    expect(() => parseSfdiskJson('not json', 'x.raw')).toThrow('x.raw: sfdisk printed something that is not JSON');
  });

  it('tries Linux partitions largest first, never ESP, BIOS boot or swap', () => {
    expect(candidatePartitions(parseSfdiskJson(gpt)).map((p) => p.number)).toEqual([3, 4]);
    const dos = parseSfdiskJson(JSON.stringify({ partitiontable: { partitions: [{ node: 'a1', start: 1, size: 5, type: 'EF' }, { node: 'a2', start: 6, size: 9, type: '5' }, { node: 'a5', start: 7, size: 3, type: '83' }] } }));
    expect(candidatePartitions(dos).map((p) => p.number)).toEqual([5]);
  });
});

describe('commands', () => {
  it('attaches exactly the partition, read-only', () => {
    expect(losetupArgv('/w/d.raw', 1048576, 2097152)).toEqual(['losetup', '--find', '--show', '--read-only', '--offset', '1048576', '--sizelimit', '2097152', '/w/d.raw']);
  });

  it('mounts without replaying journals, and with the image\'s content inert (nosuid, nodev, noexec)', () => {
    expect(readOnlyMountOptions('ext4')).toEqual(['ro', 'nosuid', 'nodev', 'noexec', 'noload']);
    expect(readOnlyMountOptions('xfs')).toEqual(['ro', 'nosuid', 'nodev', 'noexec', 'norecovery']);
    expect(readOnlyMountOptions('btrfs')).toEqual(['ro', 'nosuid', 'nodev', 'noexec', 'rescue=nologreplay']);
  });

  it('copies roots with everything they record', () => {
    expect(untarArgv('/i/r.tar.zst', '/t')).toEqual(['tar', '--extract', '--file', '/i/r.tar.zst', '--directory', '/t', '--preserve-permissions', '--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls']);
    expect(copyRootArgv('/m', '/t')).toEqual(['cp', '--archive', '--one-file-system', '--sparse=always', '/m/.', '/t/']);
  });

  it('lists the other real filesystems an fstab mounts', () => {
    const fstab = '# comment\nUUID=a / ext4 defaults 0 1\nUUID=b /boot ext4 defaults 0 2\nUUID=c /boot/efi vfat umask=077 0 1\nUUID=d none swap sw 0 0\ntmpfs /tmp tmpfs defaults 0 0\nLABEL=v /var xfs defaults 0 2\n';
    expect(otherMounts(fstab)).toEqual(['/boot', '/var']);
  });
});

describe('image-read tools', () => {
  it('are checked all at once, each with its Debian package', () => {
    const missing = requiredTools({ tools: new Map(IMAGE_READ_TOOLS) }).map((t) => `${t.tool}:${t.debianPackage}`);
    expect(missing).toEqual(['sfdisk:fdisk', 'losetup:mount', 'mount:mount', 'umount:mount']);
  });
});

describe('disk-image-get-kernel options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-getkernel-opts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults the prefix to the image name without its extension and the folder to the current one', () => {
    expect(defaultPrefix('/x/web.qcow2')).toBe('web');
    expect(defaultPrefix('disk.img.raw')).toBe('disk.img');
    expect(defaultPrefix('.hidden')).toBe('.hidden');
    expect(checkOptions({ image: 'web.qcow2' }, dir)).toEqual({ image: join(dir, 'web.qcow2'), outDir: dir, prefix: 'web', logfile: undefined });
  });

  it('refuses a missing folder and a prefix with a slash', () => {
    expect(() => checkOptions({ image: 'a.raw', dir: 'nope' }, dir)).toThrow(UsageError);
    expect(() => checkOptions({ image: 'a.raw', output: 'a/b' }, dir)).toThrow('-o "a/b" is not a file name prefix');
  });
});
