import { describe, expect, it } from 'vitest';
import { progressLine } from '../../lib/cli/kiln-write-disk.js';
import { confirmationText } from '../../lib/write-disk/confirm.js';
import { BLOCK, blocksToWrite } from '../../lib/write-disk/copy.js';
import type { DeviceFacts } from '../../lib/write-disk/device.js';
import { lastPartitionNumber } from '../../lib/write-disk/partition-table.js';
import { parseBlkidExport } from '../../lib/write-disk/probe.js';
import { parseSwaps, refusals, type UsageFacts } from '../../lib/write-disk/refusals.js';
import { extentsPastEnd, formatOfExtension } from '../../lib/write-disk/source.js';

const MiB = 1024 * 1024;
const disk: DeviceFacts = {
  path: '/dev/sdb', name: 'sdb', device: '8:16', size: 8192 * MiB, logicalBlockSize: 512, readOnly: false, removable: true,
  model: 'SanDisk Ultra', holders: [],
  partitions: [{ name: 'sdb1', device: '8:17', start: MiB, size: 512 * MiB }, { name: 'sdb2', device: '8:18', start: 513 * MiB, size: 7000 * MiB }],
};
const idle: UsageFacts = { mounts: [{ point: '/', source: '/dev/sda2', device: '8:2' }], swaps: ['/dev/sda3'], signatures: [{ where: '/dev/sdb1', type: 'vfat' }] };
const image = { virtualSize: 2048 * MiB, partitioned: true };

describe('kiln-write-disk refusals', () => {
  it('lets an idle disk that is large enough be written', () => {
    expect(refusals(disk, idle, image)).toEqual([]);
  });

  it('names every mounted partition (by device number or by source), swap and holder it finds', () => {
    const use: UsageFacts = {
      mounts: [...idle.mounts, { point: '/media/stick', source: '/dev/sdb1', device: '8:17' }, { point: '/srv/data', source: '/dev/sdb2', device: '0:52' }],
      swaps: ['/dev/sdb2'], signatures: [],
    };
    const held = { ...disk, holders: [{ held: 'sdb2', name: 'dm-0', what: 'device-mapper vg0-root' }, { held: 'sdb', name: 'md127', what: 'RAID md127' }] };
    expect(refusals(held, use, image)).toEqual([
      '/dev/sdb1 is mounted at /media/stick',
      '/dev/sdb2 is mounted at /srv/data',
      '/dev/sdb2 is in use as swap',
      '/dev/sdb2 is held by /dev/dm-0 (device-mapper vg0-root)',
      '/dev/sdb is held by /dev/md127 (RAID md127)',
    ]);
  });

  it('refuses LVM, RAID and ZFS members even when nothing holds them now', () => {
    const use = { ...idle, signatures: [{ where: '/dev/sdb2', type: 'LVM2_member' }, { where: '/dev/sdb', type: 'linux_raid_member' }, { where: '/dev/sdb1', type: 'zfs_member' }] };
    expect(refusals(disk, use, image)).toEqual([
      '/dev/sdb2 is an LVM physical volume (LVM2_member signature)',
      '/dev/sdb is a member of a Linux RAID (md) array (linux_raid_member signature)',
      '/dev/sdb1 is a member of a ZFS pool (zfs_member signature)',
    ]);
  });

  it('refuses a read-only or too small disk, and 4 KiB sectors under a 512-byte partition table', () => {
    expect(refusals({ ...disk, readOnly: true, size: 1024 * MiB }, idle, image)).toEqual([
      '/dev/sdb is read-only',
      '/dev/sdb is too small: 1.0 GiB (1073741824 bytes), the image\'s disk is 2.0 GiB (2147483648 bytes)',
    ]);
    expect(refusals({ ...disk, logicalBlockSize: 4096 }, idle, image)).toEqual([
      '/dev/sdb has 4096-byte sectors; the image\'s partition table counts 512-byte sectors and would not be found',
    ]);
    expect(refusals({ ...disk, logicalBlockSize: 4096 }, idle, { ...image, partitioned: false })).toEqual([]);
  });

  it('reads /proc/swaps and blkid output', () => {
    expect(parseSwaps('Filename\tType\tSize\tUsed\tPriority\n/dev/sda3   partition\t1\t0\t-2\n/swap\\040file  file 1 0 -3\n')).toEqual(['/dev/sda3', '/swap file']);
    expect(parseBlkidExport('DEVNAME=/dev/sdb\nLABEL=my disk\nTYPE=ext4\n')).toEqual({ DEVNAME: '/dev/sdb', LABEL: 'my disk', TYPE: 'ext4' });
  });
});

describe('kiln-write-disk images', () => {
  it('knows the format a file name promises', () => {
    expect(['a.qcow2', 'a.vhd', 'a.IMG', 'a.vmdk', 'a.iso'].map(formatOfExtension)).toEqual(['qcow2', 'vpc', 'raw', 'vmdk', undefined]);
  });

  it('finds data a truncated file no longer holds', () => {
    const map = [
      { start: 0, length: 2 * MiB, data: true, offset: 327680 },
      { start: 2 * MiB, length: 2 * MiB, data: true, offset: 3 * MiB },
      { start: 4 * MiB, length: 60 * MiB, data: false },
    ];
    expect(extentsPastEnd(map, 5 * MiB)).toEqual([]);
    expect(extentsPastEnd(map, 3 * MiB)).toEqual([map[1]]);
  });
});

describe('kiln-write-disk copying', () => {
  const zeros = Buffer.alloc(4 * BLOCK);

  it('writes data blocks always, zero blocks only where the device holds data', () => {
    const chunk = Buffer.alloc(4 * BLOCK);
    chunk[BLOCK + 5] = 1;
    const there = Buffer.alloc(4 * BLOCK);
    there[3 * BLOCK] = 9;
    expect(blocksToWrite(chunk, there, zeros)).toEqual([false, true, false, true]);
    expect(blocksToWrite(chunk, undefined, zeros)).toEqual([false, true, false, false]);
    expect(blocksToWrite(chunk.subarray(0, BLOCK + 10), undefined, zeros)).toEqual([false, true]);
  });

  it('reports progress with rate, skipped zeros and time left', () => {
    expect(progressLine({ stage: 'write', done: 512 * MiB, total: 2048 * MiB, skipped: 100 * MiB }, 4000)).toBe(
      'writing 512 MiB of 2.0 GiB (25%), 128 MiB/s, 100 MiB of zeros skipped, 12 s left');
    expect(progressLine({ stage: 'verify', done: 2048 * MiB, total: 2048 * MiB, skipped: 0 }, 8000)).toBe('verifying 2.0 GiB of 2.0 GiB (100%), 256 MiB/s, 0 s left');
  });

  it('asks with the model, size and partitions of the disk', () => {
    const contents = {
      table: 'gpt' as const, signature: undefined, signatures: [],
      partitions: [{ node: '/dev/sdb1', start: MiB, size: 512 * MiB, type: 'vfat', label: 'STICK' }, { node: '/dev/sdb2', start: 513 * MiB, size: 7000 * MiB, type: undefined, label: undefined }],
    };
    expect(confirmationText(disk, contents, { path: 'demo.qcow2', format: 'qcow2', virtualSize: 2048 * MiB })).toBe([
      'about to overwrite /dev/sdb',
      '  model:      SanDisk Ultra (removable)',
      '  size:       8.0 GiB (8589934592 bytes)',
      '  partitions: gpt table',
      '    /dev/sdb1  512 MiB (536870912 bytes)  vfat, label "STICK"',
      '    /dev/sdb2  6.8 GiB (7340032000 bytes)  no filesystem found',
      '  image:      demo.qcow2 (qcow2, disk of 2.0 GiB (2147483648 bytes))',
      'Everything on /dev/sdb will be lost.',
      '',
    ].join('\n'));
  });

  it('grows the partition that ends last, whatever its number', () => {
    expect(lastPartitionNumber({ label: 'gpt', partitions: [{ node: '/dev/sdb2', start: 2048, size: 100 }, { node: '/dev/sdb1', start: 4096, size: 10 }] })).toBe(1);
    expect(lastPartitionNumber({ label: 'dos', partitions: [] })).toBeUndefined();
  });
});
