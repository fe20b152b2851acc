// Building on kiln images, end to end: disk-image-get-kernel on a kiln qcow2 gives a kernel and
// initrd that boot that image with -kernel/-initrd and root=UUID=...; and a cloud-image build on
// top of the same image adds a file in install.d and the result boots (kiln's boot test).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boot } from '../../lib/boot-test/qemu.js';
import type { KilnError } from '../../lib/errors.js';
import { partitions } from '../helpers/disk.js';
import { e2eCache } from '../helpers/e2e.js';
import { isRoot, kiln } from '../helpers/host.js';

/** What a command run with TMPDIR=`tmp` left behind: files, mounts below it, loop devices over files in it. */
function leftovers(tmp: string): { files: string[]; mounts: string[]; loops: string[] } {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(tmp));
  const loops = execFileSync('losetup', ['-a', '-n', '-O', 'BACK-FILE']).toString().split('\n').filter((l) => l.includes(tmp));
  return { files: readdirSync(tmp), mounts, loops };
}

/** A fresh private TMPDIR: other builds on the machine cannot disturb the leak checks. */
function privateTmp(parent: string, name: string): string {
  const tmp = join(parent, `tmp-${name}`);
  mkdirSync(tmp);
  return tmp;
}

/** UUID of the ext4 filesystem at `offset` bytes of a raw file, from its superblock. */
function ext4Uuid(raw: string, offset: number): string {
  const hex = execFileSync('dd', [`if=${raw}`, 'bs=1', `skip=${offset + 1024 + 104}`, 'count=16', 'status=none']).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

describe.skipIf(!isRoot)('kernels out of kiln images, and images on top of them (e2e, QEMU TCG)', () => {
  let out: string;
  let base: string;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-getkernel-'));
    base = join(out, 'base.qcow2');
    const result = await kiln('disk-image-create', ['-t', 'qcow2', '-o', join(out, 'base'), '--image-cache', e2eCache(), 'debian', 'vm']);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('disk-image-get-kernel gives a kernel and initrd that boot the image with root=UUID', async () => {
    const tmp = privateTmp(out, 'get-kernel');
    const r = await kiln('disk-image-get-kernel', ['-i', base, '-d', out], { TMPDIR: tmp });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${join(out, 'base-vmlinuz')}\n${join(out, 'base-initrd')}\n`);
    expect(r.stderr).toMatch(/kernel \d+\.\d+\.\d+-\d+-amd64 from partition 1 of /);
    expect(leftovers(tmp)).toEqual({ files: [], mounts: [], loops: [] });
    expect(readFileSync(join(out, 'base-vmlinuz')).subarray(0x202, 0x206).toString()).toBe('HdrS'); // bzImage header

    const raw = join(out, 'base.raw');
    execFileSync('qemu-img', ['convert', '-O', 'raw', base, raw]);
    const uuid = ext4Uuid(raw, partitions(raw)[0]!.start * 512);
    rmSync(raw);
    const booted = await boot({
      disks: [{ path: base, format: 'qcow2' }], snapshot: true, firmware: 'bios',
      kernel: join(out, 'base-vmlinuz'), initrd: join(out, 'base-initrd'), append: `root=UUID=${uuid} ro console=ttyS0`,
      marker: /login:/, failure: /Kernel panic|Gave up waiting for root|emergency mode/, timeoutMs: 600_000, consoleLog: join(out, 'direct-boot.log'),
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${(error as KilnError).details?.().join('\n') ?? ''}`);
    });
    expect(booted.console).toContain(`root=UUID=${uuid}`);
  });

  it('a cloud-image build on top of the image adds a file in install.d, and the result boots', async () => {
    const flavours = join(out, 'flavours');
    mkdirSync(join(flavours, 'layer-probe/install.d'), { recursive: true });
    writeFileSync(join(flavours, 'layer-probe/README.md'), '# layer-probe\n\nTest flavour: marks the image and its console.\n');
    const hook = join(flavours, 'layer-probe/install.d/50-layer-probe');
    writeFileSync(hook, '#!/bin/bash\nset -eu\nset -o pipefail\necho "layered on a kiln image" > /etc/kiln-layered\necho "kiln-layered: \\n" >> /etc/issue\n');
    chmodSync(hook, 0o755);
    const tmp = privateTmp(out, 'layered');
    const result = await kiln('disk-image-create', ['--boot-test', '-t', 'qcow2', '-o', join(out, 'layered'), '--image-cache', e2eCache(), '--no-cache', '--flavours-path', flavours, 'cloud-image', 'vm', 'layer-probe'], { DIB_LOCAL_IMAGE: base, TMPDIR: tmp });
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr).toMatch(/root\.d\/10-cloud-image-unpack \(cloud-image\) done/);
    expect(result.stderr).toMatch(/boot test: bios boot reached the login prompt/);
    expect(readFileSync(join(out, 'layered.bios.console.log'), 'utf8')).toMatch(/kiln-layered: /);
    expect(leftovers(tmp)).toEqual({ files: [], mounts: [], loops: [] });
  });
});
