// The block-device executor on real loop devices: builds small images with the built-in
// layouts, checks the table (sfdisk -J), the filesystems (blkid), the staged vfat content
// (mdir), and that nothing is left behind after success, after a failing mkfs and after an
// abort while the image is attached.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBlockDeviceConfig } from '../../../lib/block-device/config.js';
import { closeDisk, createDisk, installFstab, type AttachedDisk } from '../../../lib/block-device/disk.js';
import { blockDeviceEnvironment } from '../../../lib/block-device/environment.js';
import { planDiskLayout } from '../../../lib/block-device/layout.js';
import type { DiskLayout } from '../../../lib/block-device/layout-types.js';
import { seededRandom } from '../../../lib/block-device/random.js';
import { FALLBACK_CONFIG } from '../../../lib/block-device/source.js';
import { CommandFailedError } from '../../../lib/errors.js';
import { ResourceStack } from '../../../lib/resources/disposable-stack.js';
import { loopDevicesOf } from '../../../lib/resources/loop-device.js';
import { hostState, isRoot, type HostState } from '../../helpers/host.js';

const FLAVOURS = join(import.meta.dirname, '../../../flavours');
const MiB = 1024 * 1024;
const ENV = { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } };

/** Partition devices the kernel knows of any loop device (partx -a leftovers). */
function partitionDevices(): string[] {
  return readdirSync('/sys/block')
    .filter((name) => name.startsWith('loop'))
    .flatMap((name) => readdirSync(`/sys/block/${name}`).filter((entry) => entry.startsWith(`${name}p`)))
    .sort();
}

function flavourLayout(flavour: string, bytes: number, edit: (text: string) => string = (t) => t): DiskLayout {
  const source = join(FLAVOURS, flavour, 'block-device-default.yaml');
  // A 16 MiB ext4 journal: the default 64 MiB one needs a root filesystem over 128 MiB.
  return planDiskLayout(parseBlockDeviceConfig(edit(readFileSync(source, 'utf8')), source, { journalMiB: 16 }), bytes, seededRandom(11));
}

function blkid(device: string, offset?: number): Record<string, string> {
  const args = offset === undefined ? ['-o', 'export', device] : ['-p', '-o', 'export', '-O', String(offset), device];
  return Object.fromEntries(execFileSync('blkid', args, ENV).toString().trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
}

/** Runs a debugfs request on the ext4 filesystem at `offset` of an image file (e2fsprogs `?offset=`). */
function debugfs(request: string, image: string, offset: number): string {
  return execFileSync('debugfs', ['-R', request, `${image}?offset=${offset}`], { ...ENV, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

describe.skipIf(!isRoot)('block-device executor (root, loop devices)', () => {
  let dir: string;
  let mountBase: string;
  let before: HostState;
  let partitionsBefore: string[];

  beforeEach(() => {
    before = hostState();
    partitionsBefore = partitionDevices();
    dir = mkdtempSync(join(tmpdir(), 'kiln-disk-'));
    mountBase = join(dir, 'mnt');
    mkdirSync(mountBase);
  });
  afterEach(() => {
    const after = hostState();
    rmSync(dir, { recursive: true, force: true });
    expect(after).toEqual(before);
    expect(partitionDevices()).toEqual(partitionsBefore);
  });

  async function build(layout: DiskLayout, body: (disk: AttachedDisk) => Promise<void> = async () => undefined): Promise<string> {
    const stack = new ResourceStack();
    const imagePath = join(dir, 'image0.raw');
    const kept = join(dir, 'kept.raw');
    try {
      const disk = await createDisk(stack, layout, { imagePath, mountBase });
      await body(disk);
      await closeDisk(disk);
      execFileSync('cp', ['--sparse=always', imagePath, kept]);
    } finally {
      await stack.disposeAsync();
    }
    expect(existsSync(imagePath)).toBe(false);
    return kept;
  }

  it('block-device-mbr: one bootable ext4 partition, mounted at the mount base, fstab by UUID', async () => {
    const layout = flavourLayout('block-device-mbr', 128 * MiB);
    const image = await build(layout, async (disk) => {
      expect(disk.loopDevice).toMatch(/^\/dev\/loop\d+$/);
      expect(disk.partitionDevices).toEqual({ root: `${disk.loopDevice}p1` });
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).toContain(` ${mountBase} `);
      writeFileSync(join(mountBase, 'hello'), 'world');
      mkdirSync(join(mountBase, 'etc'));
      await installFstab(disk);
      expect(readFileSync(join(mountBase, 'etc/fstab'), 'utf8')).toBe(`UUID=${layout.root.uuid} / ext4 defaults 0 1\n`);
      expect(blockDeviceEnvironment(disk)).toMatchObject({
        IMAGE_BLOCK_DEVICE: disk.loopDevice, IMAGE_BLOCK_DEVICES: `[image0]=${disk.loopDevice} [root]=${disk.loopDevice}p1`,
        DIB_ROOT_LABEL: 'cloudimg-rootfs', DIB_ROOT_FSTYPE: 'ext4', KILN_ESP_DEVICE: '',
        IMAGE_BLOCK_DEVICE_WITHOUT_PART: disk.loopDevice, DIB_MOUNTPOINTS: '/',
      });
    });
    const table = JSON.parse(execFileSync('sfdisk', ['-J', image], ENV).toString()).partitiontable;
    expect(table.label).toBe('dos');
    expect(table.partitions).toEqual([{ node: `${image}1`, start: 2048, size: 128 * 2048 - 4096, type: '83', bootable: true }]);
    expect(blkid(image, MiB)).toMatchObject({ TYPE: 'ext4', LABEL: 'cloudimg-rootfs', UUID: layout.root.uuid });
    expect(debugfs('cat /hello', image, MiB)).toBe('world');
  });

  it('block-device-gpt: BIOS boot partition and an ext4 root', async () => {
    const layout = flavourLayout('block-device-gpt', 64 * MiB);
    const image = await build(layout, async (disk) => {
      expect(Object.keys(disk.partitionDevices)).toEqual(['BSP', 'root']);
      expect(blkid(disk.partitionDevices.root!)).toMatchObject({ TYPE: 'ext4', UUID: layout.root.uuid });
    });
    const table = JSON.parse(execFileSync('sfdisk', ['-J', image], ENV).toString()).partitiontable;
    expect(table.partitions.map((p: { start: number; size: number; type: string; name: string }) => [p.name, p.start, p.size, p.type])).toEqual([
      ['BSP', 2048, 8 * 2048, '21686148-6449-6E6F-744E-656564454649'],
      ['root', 18432, (64 - 2 - 8) * 2048, '0FC63DAF-8483-4772-8E79-3D69D8477DE4'],
    ]);
    expect(blkid(image, 9 * MiB)).toMatchObject({ TYPE: 'ext4', UUID: layout.root.uuid });
  });

  it('block-device-efi: the staged ESP folder ends up in the FAT filesystem and is left empty', async () => {
    const layout = flavourLayout('block-device-efi', 256 * MiB, (t) => t.replace('550MiB', '64MiB'));
    const esp = layout.filesystems.find((f) => f.type === 'vfat')!;
    const image = await build(layout, async (disk) => {
      expect(disk.mounts.map((m) => [m.mountPoint, m.staged])).toEqual([['/', false], ['/boot/efi', true]]);
      const staged = join(mountBase, 'boot/efi');
      mkdirSync(join(staged, 'EFI/BOOT'), { recursive: true });
      writeFileSync(join(staged, 'EFI/BOOT/BOOTX64.EFI'), 'not really an EFI binary');
      writeFileSync(join(staged, 'a long file name.cfg'), 'x');
      expect(blockDeviceEnvironment(disk).KILN_ESP_DEVICE).toBe(`${disk.loopDevice}p1`);
      // The ESP's own device answers to blkid while attached.
      expect(blkid(disk.partitionDevices.ESP!)).toMatchObject({ TYPE: 'vfat', LABEL: 'MKFS_ESP', UUID: esp.uuid });
    });
    const listing = execFileSync('mdir', ['-i', `${image}@@${MiB}`, '-/', '-b', '::/'], ENV).toString().split('\n').filter(Boolean);
    expect(listing.sort()).toEqual(['::/EFI/', '::/EFI/BOOT/', '::/EFI/BOOT/BOOTX64.EFI', '::/a long file name.cfg'].sort());
    expect(execFileSync('mtype', ['-i', `${image}@@${MiB}`, '::/EFI/BOOT/BOOTX64.EFI'], ENV).toString()).toBe('not really an EFI binary');
    const rootOffset = (2 + 64 + 8 - 1) * MiB;
    expect(blkid(image, rootOffset)).toMatchObject({ TYPE: 'ext4', UUID: layout.root.uuid });
    // The mount point stays, empty, in the root filesystem.
    const entries = debugfs('ls -p /boot/efi', image, rootOffset).split('\n').filter(Boolean).map((l) => l.split('/')[5]);
    expect(entries).toEqual(['.', '..']);
  });

  it('the fallback config: one filesystem on the whole disk, no partition table', async () => {
    const layout = planDiskLayout(parseBlockDeviceConfig(FALLBACK_CONFIG, 'fallback', { journalMiB: 16 }), 64 * MiB, seededRandom(5));
    const image = await build(layout, async (disk) => {
      expect(disk.partitionDevices).toEqual({});
      expect(disk.filesystemDevices).toEqual({ mkfs_root: disk.loopDevice });
    });
    expect(blkid(image, 0)).toMatchObject({ TYPE: 'ext4', LABEL: 'cloudimg-rootfs', UUID: layout.root.uuid });
  });

  it('FS_TYPE=xfs makes the block-device-mbr root xfs, labelled img-rootfs', async () => {
    const source = join(FLAVOURS, 'block-device-mbr/block-device-default.yaml');
    const layout = planDiskLayout(parseBlockDeviceConfig(readFileSync(source, 'utf8'), source, { fsType: 'xfs' }), 400 * MiB, seededRandom(6));
    const image = await build(layout);
    expect(blkid(image, MiB)).toMatchObject({ TYPE: 'xfs', LABEL: 'img-rootfs', UUID: layout.root.uuid });
  });

  it('leaves nothing behind when an mkfs in the middle fails', async () => {
    const layout = flavourLayout('block-device-efi', 256 * MiB, (t) =>
      t.replace('550MiB', '64MiB').replace('type: ext4', 'type: ext4\n          opts: "--no-such-option"'));
    const stack = new ResourceStack();
    let error: unknown;
    try {
      await createDisk(stack, layout, { imagePath: join(dir, 'image0.raw'), mountBase });
    } catch (e) {
      error = e;
    } finally {
      await stack.disposeAsync();
    }
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as Error).message).toMatch(/^making the ext4 filesystem mkfs_root on \/dev\/loop\d+p3 \(`mkfs\.ext4 --no-such-option .*`\) exited with code 1$/);
    expect(existsSync(join(dir, 'image0.raw'))).toBe(false);
  });

  it('leaves nothing behind when aborted while the image is attached', async () => {
    const layout = flavourLayout('block-device-gpt', 128 * MiB);
    const imagePath = join(dir, 'image0.raw');
    const controller = new AbortController();
    const stack = new ResourceStack();
    const watcher = (async () => {
      while (!existsSync(imagePath) || loopDevicesOf(imagePath).length === 0) await sleep(5);
      controller.abort(new Error('interrupted'));
    })();
    const result = createDisk(stack, layout, { imagePath, mountBase, signal: controller.signal }).then(
      () => 'finished', (e: Error) => e.message);
    await watcher;
    const outcome = await result;
    expect(loopDevicesOf(imagePath).length).toBeGreaterThan(0);
    await stack.disposeAsync();
    expect(outcome).toBe('interrupted');
    expect(loopDevicesOf(imagePath)).toEqual([]);
  });
});
