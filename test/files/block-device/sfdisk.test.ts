// The planned tables written by the real sfdisk on plain sparse files, compared with golden
// `sfdisk -J` output (debos tests/msdos/expected.json style), and the planned mkfs command lines
// run on plain files and read back with blkid. No root needed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, truncateSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBlockDeviceConfig } from '../../../lib/block-device/config.js';
import { planDiskLayout } from '../../../lib/block-device/layout.js';
import { seededRandom } from '../../../lib/block-device/random.js';
import type { DiskLayout } from '../../../lib/block-device/layout-types.js';

const GOLDEN = join(import.meta.dirname, 'golden');
const FLAVOURS = join(import.meta.dirname, '../../../flavours');
const MiB = 1024 * 1024;
const PATH = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-sfdisk-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function sparse(name: string, bytes: number): string {
  const path = join(dir, name);
  closeSync(openSync(path, 'wx'));
  truncateSync(path, bytes);
  return path;
}

/** Writes the layout's table with sfdisk and returns `sfdisk -J` without the file-specific names. */
function writeAndRead(layout: DiskLayout): unknown {
  const file = sparse('disk.raw', layout.sizeBytes);
  execFileSync('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', file], { input: layout.table!.script, env: PATH });
  const json = JSON.parse(execFileSync('sfdisk', ['-J', file], { env: PATH }).toString()) as { partitiontable: Record<string, unknown> };
  const table = json.partitiontable;
  delete table.device;
  for (const p of table.partitions as Record<string, unknown>[]) p.node = String(p.node).replace(file, 'disk.raw');
  return json;
}

function golden(name: string, actual: unknown): void {
  const path = join(GOLDEN, `${name}.json`);
  // KILN_UPDATE_GOLDEN=1 (re)writes the files; review the diff before committing it.
  if (process.env.KILN_UPDATE_GOLDEN === '1') writeFileSync(path, `${JSON.stringify(actual, null, 2)}\n`);
  expect(existsSync(path), `${path} is missing; create it with KILN_UPDATE_GOLDEN=1`).toBe(true);
  expect(actual).toEqual(JSON.parse(readFileSync(path, 'utf8')));
}

function layoutOf(text: string, source: string, bytes: number, seed = 42): DiskLayout {
  return planDiskLayout(parseBlockDeviceConfig(text, source), bytes, seededRandom(seed));
}

type Row = { start: number; size: number; type: string; bootable?: boolean };
function partitionsOf(json: unknown): Row[] {
  return (json as { partitiontable: { partitions: Row[] } }).partitiontable.partitions;
}

describe('sfdisk writes exactly the planned table', () => {
  it('block-device-mbr default layout on 256 MiB: one bootable primary from 1 MiB, leaving DIB\'s 1 MiB at the end', () => {
    const text = readFileSync(join(FLAVOURS, 'block-device-mbr/block-device-default.yaml'), 'utf8');
    const json = writeAndRead(layoutOf(text, 'mbr', 256 * MiB));
    expect(partitionsOf(json)).toEqual([{ node: 'disk.raw1', start: 2048, size: 256 * 2048 - 4096, type: '83', bootable: true }]);
    golden('mbr-default', json);
  });

  it('MBR with primaries, an extended partition and logicals, EBRs one MiB before each logical (DIB mbr.py)', () => {
    const text = `- local_loop: {name: image0}
- partitioning:
    base: image0
    label: mbr
    partitions:
      - {name: root, flags: [boot, primary], size: 40MiB, mkfs: {name: root_fs, type: ext4, mount: {mount_point: /}}}
      - {name: efi, flags: [primary], type: '0xef', size: 10MiB}
      - {name: var, size: 20MiB}
      - {name: log, size: 10MiB}
      - {name: swap, type: '82', size: 100%}
`;
    const json = writeAndRead(layoutOf(text, 'mixed', 128 * MiB));
    expect(partitionsOf(json).map((p) => [p.start, p.size, p.type])).toEqual([
      [2048, 81920, '83'],
      [83968, 20480, 'ef'],
      [104448, 262144 - 104448, 'f'],
      [106496, 40960, '83'],
      [149504, 20480, '83'],
      // 100% of DIB free() after "log": 128 MiB − (next free 169984 + 2048 alignment) sectors.
      [172032, 262144 - (169984 + 2048), '82'],
    ]);
    golden('mbr-logicals', json);
  });

  it('block-device-efi layout: ESP, BIOS boot, root in whole MiB from sector 2048 (DIB sgdisk call)', () => {
    const text = readFileSync(join(FLAVOURS, 'block-device-efi/block-device-default.yaml'), 'utf8');
    const json = writeAndRead(layoutOf(text, 'efi', 1024 * MiB));
    expect(partitionsOf(json).map((p) => [p.start, p.size / 2048])).toEqual([[2048, 550], [2048 + 550 * 2048, 8], [2048 + 558 * 2048, 1024 - 2 - 558]]);
    golden('gpt-efi', json);
  });
});

describe('the planned mkfs command lines', () => {
  const config = `- local_loop: {name: image0}
- partitioning:
    base: image0
    label: gpt
    partitions:
      - {name: root, size: 40MiB, mkfs: {name: root_fs, type: ext4, mount: {mount_point: /}}}
      # mkfs.xfs (xfsprogs 6) refuses filesystems under 300 MB.
      - {name: x, size: 310MiB, mkfs: {type: xfs, label: data, mount: {mount_point: /data}}}
      - {name: b, size: 120MiB, mkfs: {type: btrfs, mount: {mount_point: /srv}}}
      - {name: e, size: 40MiB, mkfs: {type: vfat, label: esp, mount: {mount_point: /boot/efi}}}
      - {name: s, size: 10MiB, mkfs: {type: swap, mount: {mount_point: none}}}
`;

  it.each(['ext4', 'xfs', 'btrfs', 'vfat', 'swap'])('make a %s filesystem with the planned label and UUID', (type) => {
    const layout = layoutOf(config, 'fs', 640 * MiB);
    const fs = layout.filesystems.find((f) => f.type === type)!;
    const partition = layout.table!.partitions.find((p) => p.name === fs.device)!;
    const file = sparse(`${type}.img`, partition.sizeSectors * 512);
    const [program, ...args] = fs.mkfs;
    execFileSync(program!, [...args, file], { env: PATH, stdio: 'pipe' });
    const info = Object.fromEntries(execFileSync('blkid', ['-o', 'export', file], { env: PATH }).toString().trim().split('\n').map((l) => l.split('=', 2)));
    expect(info.TYPE).toBe(type);
    expect(info.LABEL).toBe(fs.label);
    expect(info.UUID).toBe(fs.uuid);
  });
});
