// Reproducible disks on real loop devices: the same tree copied into the same layout twice, with
// the same SOURCE_DATE_EPOCH, gives the same bytes (the ext filesystems are made again from their
// content when the disk is closed, the FAT one with fixed times); another epoch gives other
// bytes; the rebuilt filesystem is clean and keeps contents, owners, links, xattrs and times.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBlockDeviceConfig } from '../../../lib/block-device/config.js';
import { closeDisk, copyTreeIntoDisk, createDisk } from '../../../lib/block-device/disk.js';
import { planDiskLayout } from '../../../lib/block-device/layout.js';
import type { DiskLayout } from '../../../lib/block-device/layout-types.js';
import { ResourceStack } from '../../../lib/resources/disposable-stack.js';
import { derivedRandom } from '../../../lib/plan/disk-seed.js';
import { bin, hostState, isRoot } from '../../helpers/host.js';

const FLAVOURS = join(import.meta.dirname, '../../../flavours');
const MiB = 1024 * 1024;
const ENV = { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } };
const EPOCH = 1700000000;

function layoutOf(flavour: string, bytes: number, edit: (t: string) => string = (t) => t): DiskLayout {
  const source = join(FLAVOURS, flavour, 'block-device-default.yaml');
  return planDiskLayout(parseBlockDeviceConfig(edit(readFileSync(source, 'utf8')), source, { journalMiB: 4 }), bytes, derivedRandom('test'));
}

/** A small tree with what ext must keep: owners, modes, a hard link, a symlink, an xattr, a hole, old and new times. */
function makeTree(root: string): void {
  mkdirSync(join(root, 'etc/ssh'), { recursive: true });
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'boot/efi/EFI/debian'), { recursive: true });
  for (let i = 0; i < 300; i++) writeFileSync(join(root, 'usr/bin', `tool-${i}`), `#!/bin/sh\necho ${i}\n`, { mode: 0o755 });
  writeFileSync(join(root, 'etc/hostname'), 'repro\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  chownSync(join(root, 'etc/shadow'), 0, 42);
  linkSync(join(root, 'usr/bin/tool-1'), join(root, 'usr/bin/tool-1-link'));
  symlinkSync('tool-2', join(root, 'usr/bin/tool-2-alias'));
  execFileSync('setfattr', ['-n', 'user.kiln', '-v', 'kept', join(root, 'etc/hostname')]);
  execFileSync('truncate', ['-s', '4M', join(root, 'etc/sparse')]);
  writeFileSync(join(root, 'boot/efi/EFI/debian/grubx64.efi'), 'efi binary');
  utimesSync(join(root, 'etc/hostname'), 1600000000, 1600000000);
}

describe.skipIf(!isRoot)('reproducible disk images (root, loop devices)', () => {
  let dir: string;
  let tree: string;
  const before = hostState();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-repro-disk-'));
    tree = join(dir, 'tree');
    mkdirSync(tree);
    makeTree(tree);
  });
  afterAll(() => {
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    expect(hostState()).toEqual(before);
  });

  /** Builds the disk from the tree; the tree is copied after a pause so the clock has moved on. */
  async function build(layout: DiskLayout, name: string, epoch: number): Promise<string> {
    const mountBase = join(dir, `mnt-${name}`);
    mkdirSync(mountBase);
    const imagePath = join(dir, `${name}.raw`);
    const kept = join(dir, `${name}.kept.raw`);
    await using stack = new ResourceStack();
    const disk = await createDisk(stack, layout, { imagePath, mountBase, epoch, workDir: dir });
    await copyTreeIntoDisk(disk, tree);
    writeFileSync(join(mountBase, 'etc/written-during-build'), 'same\n');
    await closeDisk(disk);
    execFileSync('cp', ['--sparse=always', imagePath, kept]);
    return kept;
  }

  it('block-device-mbr: the same tree and epoch give the same bytes; another epoch differs', async () => {
    const layout = layoutOf('block-device-mbr', 48 * MiB);
    const first = await build(layout, 'a-mbr', EPOCH);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await build(layout, 'b-mbr', EPOCH);
    expect(execFileSync('cmp', [first, second], { ...ENV, encoding: 'utf8' })).toBe('');
    const third = await build(layout, 'c-mbr', EPOCH + 86400);
    expect(() => execFileSync('cmp', ['-s', first, third], ENV)).toThrow();
    // kiln-diff explains the difference: the superblock's and the files' times, nothing else.
    const diff = spawnSync(bin('kiln-diff'), ['--max', '400', first, third], { encoding: 'utf8' });
    expect(diff.status, diff.stderr).toBe(1);
    expect(diff.stdout).toContain('partition 1 (ext4)');
    expect(diff.stdout).toMatch(/header Filesystem created: .*2023 -> .*2023/);
    expect(diff.stdout).toContain('/etc/written-during-build mtime: 2023-11-14T22:13:20Z -> 2023-11-15T22:13:20Z');
    expect(diff.stdout).not.toContain('/etc/hostname mtime');
    expect(diff.stdout).toMatch(/verdict: timestamps only: \d+ times differ/);

    // The rebuilt filesystem: clean, same UUID, and the tree as it was (times clamped to the epoch).
    const part = join(dir, 'part.img');
    execFileSync('dd', [`if=${first}`, `of=${part}`, 'bs=1M', 'skip=1', 'status=none'], ENV);
    execFileSync('e2fsck', ['-fn', part], ENV);
    expect(execFileSync('blkid', ['-o', 'value', '-s', 'UUID', part], ENV).toString().trim()).toBe(layout.root.uuid);
    const stat = (path: string): string => execFileSync('debugfs', ['-R', `stat ${path}`, part], { ...ENV, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    expect(stat('/etc/hostname')).toMatch(/mtime: 0x5f5e1000/);
    expect(stat('/etc/hostname')).toMatch(/ctime: 0x6553f100/);
    expect(stat('/etc/written-during-build')).toMatch(/mtime: 0x6553f100/);
    expect(stat('/etc/shadow')).toMatch(/User:\s+0\s+Group:\s+42/);
    expect(stat('/usr/bin/tool-1')).toMatch(/Links: 2/);
    expect(execFileSync('debugfs', ['-R', 'ea_get /etc/hostname user.kiln', part], { ...ENV, stdio: ['ignore', 'pipe', 'ignore'] }).toString()).toContain('kept');
    expect(execFileSync('debugfs', ['-R', 'stat /usr/bin/tool-2-alias', part], { ...ENV, stdio: ['ignore', 'pipe', 'ignore'] }).toString()).toContain('Fast link dest: "tool-2"');
  });

  it('block-device-efi: GPT, FAT ESP and ext4 root are the same bytes twice', async () => {
    const layout = layoutOf('block-device-efi', 160 * MiB, (t) => t.replace('550MiB', '40MiB'));
    const first = await build(layout, 'a-efi', EPOCH);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await build(layout, 'b-efi', EPOCH);
    expect(execFileSync('cmp', [first, second], { ...ENV, encoding: 'utf8' })).toBe('');
    const listing = execFileSync('mdir', ['-i', `${first}@@${MiB}`, '-/', '-b', '::/'], ENV).toString();
    expect(listing).toContain('::/EFI/debian/grubx64.efi');
  });
});
