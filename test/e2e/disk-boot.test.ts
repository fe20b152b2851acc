// Bootable Debian disk images, booted under QEMU with software emulation: the demo layout
// (MBR, BIOS) with a first-boot hook that must run exactly once, and the EFI layout booted with
// SeaBIOS and with OVMF. Each image is also checked with fsck -n. The builds use the warm e2e
// cache: builds from scratch are test/e2e/reproducible.test.ts's (three of them).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boot } from '../../lib/boot-test/qemu.js';
import { fsckAll, partitions } from '../helpers/disk.js';
import { e2eCache } from '../helpers/e2e.js';
import { fixtures, hostState, isRoot, kiln } from '../helpers/host.js';

const LOGIN = /login:/;

describe.skipIf(!isRoot)('bootable disk images (e2e, QEMU TCG)', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-disk-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('builds the demo (debian vm demo) as qcow2 + raw, boot-tests it, and first-boot runs only once', async () => {
    const before = hostState();
    const result = await kiln('disk-image-create', ['--boot-test', '-t', 'qcow2,raw', '-o', join(out, 'demo'), '--image-cache', e2eCache(), 'debian', 'vm', 'demo']);
    expect(result.stderr).toMatch(/boot test: bios boot reached the login prompt/);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(hostState()).toEqual(before);
    expect(partitions(join(out, 'demo.raw')).map((p) => p.type)).toEqual(['83']);
    expect(fsckAll(join(out, 'demo.raw'))).toEqual(['ext4: ok']);

    const overlay = join(out, 'overlay.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', join(out, 'demo.qcow2'), '-F', 'qcow2', overlay]);
    const first = await boot({ disks: [{ path: overlay, format: 'qcow2' }], firmware: 'bios', marker: /kiln-demo: first boot OK[\s\S]*login:/, timeoutMs: 400_000, consoleLog: join(out, 'boot1.log') });
    expect(first.console).toContain('first-boot: running 50-demo-hello');
    const second = await boot({ disks: [{ path: overlay, format: 'qcow2' }], firmware: 'bios', marker: LOGIN, timeoutMs: 400_000, consoleLog: join(out, 'boot2.log') });
    expect(second.console).not.toContain('kiln-demo: first boot OK');
    expect(second.console).not.toContain('first-boot: running');
  });

  it('builds the efi layout and boots it with SeaBIOS and with OVMF', async () => {
    const before = hostState();
    const result = await kiln('disk-image-create', ['--boot-test', '-t', 'raw', '-o', join(out, 'efi'), '--image-cache', e2eCache(), '--flavours-path', fixtures, 'debian', 'vm', 'block-device-efi']);
    expect(result.stderr).toMatch(/boot test: bios boot reached the login prompt/);
    expect(result.stderr).toMatch(/boot test: uefi boot reached the login prompt/);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(hostState()).toEqual(before);
    const raw = join(out, 'efi.raw');
    expect(partitions(raw).map((p) => p.type)).toEqual([
      'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', '21686148-6449-6E6F-744E-656564454649', '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
    ]);
    expect(fsckAll(raw).sort()).toEqual(['ext4: ok', 'vfat: ok']);
    const esp = partitions(raw)[0]!;
    const listing = execFileSync('mdir', ['-i', `${raw}@@${esp.start * 512}`, '-/', '::/EFI/BOOT']).toString();
    expect(listing).toMatch(/BOOTX64\s+EFI/);
  });
});
