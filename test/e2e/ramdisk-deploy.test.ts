// The deploy ramdisk for real: `ramdisk-image-create -o deploy debian deploy` builds a kernel and
// initramfs from the Debian mirror, which boot under QEMU (TCG) with two virtio disks. The
// ramdisk must print its inventory, copy the raw image from vdb to vda, verify it and power off;
// the disks are compared byte for byte. A second build (gzip) booted with a network without DHCP
// and a target smaller than the image must refuse and say why. With the mellanox flavour, the
// InfiniBand modules and tools must be in the ramdisk and run.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eCache } from '../helpers/e2e.js';
import { isRoot, kiln } from '../helpers/host.js';

const MiB = 1024 * 1024;

function writeRandom(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  for (let done = 0; done < bytes; done += MiB) writeSync(fd, randomBytes(Math.min(MiB, bytes - done)));
  closeSync(fd);
}

/** Boots kernel + initramfs with the devices; resolves with the console text when QEMU exits by itself. */
function bootUntilPoweroff(name: string, append: string, devices: string[], timeoutMs = 600_000): Promise<{ console: string; code: number | null; seconds: number }> {
  const argv = ['-accel', 'tcg', '-m', '1024', '-smp', '2', '-nographic', '-no-reboot', '-kernel', `${name}.kernel`, '-initrd', `${name}.initramfs`, '-append', `console=ttyS0 ${append}`, ...devices];
  const started = Date.now();
  const child = spawn('qemu-system-x86_64', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no power-off after ${timeoutMs / 1000} s; console:\n${text.slice(-4000)}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ console: text, code, seconds: (Date.now() - started) / 1000 });
    });
  });
}

function disk(id: string, path: string, serial: string, readOnly = false): string[] {
  return ['-drive', `file=${path},format=raw,if=none,id=${id}${readOnly ? ',readonly=on' : ''}`, '-device', `virtio-blk-pci,drive=${id},serial=${serial}`];
}

/** What a build with TMPDIR=`tmp` left behind: files, mounts below it, loop devices over files in it. */
function leftovers(tmp: string): { files: string[]; mounts: string[]; loops: string[] } {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(tmp));
  const loops = execFileSync('losetup', ['-a', '-n', '-O', 'BACK-FILE']).toString().split('\n').filter((l) => l.includes(tmp));
  return { files: readdirSync(tmp), mounts, loops };
}

describe.skipIf(!isRoot)('deploy ramdisk (e2e, QEMU TCG)', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-ramdisk-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function build(name: string, args: string[]): Promise<string> {
    // A private TMPDIR holds the build's work folder: other builds on the machine cannot disturb
    // the check that nothing is left behind.
    const tmp = join(dir, `tmp-${name}`);
    mkdirSync(tmp);
    const started = Date.now();
    const result = await kiln('ramdisk-image-create', ['-o', join(dir, name), '--image-cache', e2eCache(), ...args], { TMPDIR: tmp });
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr).toContain(`wrote ${join(dir, `${name}.kernel`)} (kernel`);
    expect(result.stderr).toContain(`wrote ${join(dir, `${name}.initramfs`)} (initramfs`);
    expect(leftovers(tmp)).toEqual({ files: [], mounts: [], loops: [] });
    // Absent when the outputs came from kiln's output cache (an unchanged rebuild).
    const sizes = /ramdisk: kernel .*/.exec(result.stderr)?.[0] ?? 'outputs from the cache';
    console.log(`${name}: ramdisk-image-create ${((Date.now() - started) / 1000).toFixed(0)} s; ${sizes}`);
    return join(dir, name);
  }

  it('boots, prints its inventory, deploys vdb onto vda, verifies and powers off', async () => {
    // The seed's command names no operating system (Debian, kiln's default): dib-seed.test.ts
    // runs it verbatim and reuses this build's outputs.
    const name = await build('deploy', ['deploy']);
    expect(readFileSync(`${name}.initramfs`).subarray(0, 4).toString('hex')).toBe('28b52ffd');
    const source = join(dir, 'image.raw');
    const target = join(dir, 'target.raw');
    writeRandom(source, 40 * MiB);
    execFileSync('truncate', ['-s', '64M', target]);

    const run = await bootUntilPoweroff(name, 'kiln.deploy.source=/dev/vdb kiln.deploy.target=/dev/vda kiln.on-failure=poweroff',
      [...disk('d0', target, 'KILN-TARGET-1'), ...disk('d1', source, 'KILN-SOURCE-1', true), '-nic', 'user,model=virtio-net-pci,mac=52:54:00:12:34:77']);
    console.log(`deploy boot to power-off: ${run.seconds.toFixed(0)} s`);
    const text = run.console;
    expect(text).toMatch(/kiln-inventory: cpu count=2 model=\S/);
    expect(text).toMatch(/kiln-inventory: memory total_kib=\d{6,}/);
    expect(text).toContain('kiln-inventory: disk /dev/vda size_bytes=67108864 serial=KILN-TARGET-1');
    expect(text).toContain('kiln-inventory: disk /dev/vdb size_bytes=41943040 serial=KILN-SOURCE-1');
    expect(text).toMatch(/kiln-inventory: nic eth0 mac=52:54:00:12:34:77 state=up ipv4=10\.0\.2\.15\/24/);
    expect(text).toMatch(/kiln-deploy: verified: sha256 [0-9a-f]{64} of 41943040 bytes on \/dev\/vda/);
    expect(text).toMatch(/end: poweroff/);
    expect(text).not.toMatch(/Kernel panic|ERROR/);
    expect(run.code).toBe(0);

    const copied = readFileSync(target);
    expect(copied.subarray(0, 40 * MiB).equals(readFileSync(source))).toBe(true);
    expect(copied.subarray(40 * MiB).every((b) => b === 0)).toBe(true);
  });

  it('refuses a target smaller than the image, says why, and carries on without DHCP (gzip initramfs)', async () => {
    const name = await build('deploy-gzip', ['--compress', 'gzip', 'deploy']);
    expect(readFileSync(`${name}.initramfs`).subarray(0, 2).toString('hex')).toBe('1f8b');
    const source = join(dir, 'big.raw');
    const target = join(dir, 'small.raw');
    execFileSync('truncate', ['-s', '48M', source]);
    execFileSync('truncate', ['-s', '32M', target]);
    // A NIC on a hub with nothing else on it: no DHCP server answers.
    const run = await bootUntilPoweroff(name, 'kiln.deploy.source=/dev/vdb kiln.deploy.target=/dev/vda kiln.on-failure=poweroff',
      [...disk('d0', target, 'SMALL'), ...disk('d1', source, 'BIG', true), '-netdev', 'hubport,id=n0,hubid=0', '-device', 'virtio-net-pci,netdev=n0']);
    const text = run.console;
    expect(text).toContain('network: no DHCP answer on eth0; carrying on without it');
    expect(text).toMatch(/kiln-inventory: nic eth0 mac=\S+ state=\S+ ipv4=none/);
    expect(text).toContain('kiln-deploy: ERROR: refusing to deploy: target /dev/vda (33554432 bytes) is smaller than the image on /dev/vdb (50331648 bytes)');
    expect(text).toContain('kiln-init:   init fragment init.d/70-deploy-image of flavour deploy failed (exit status 1)');
    expect(text).toMatch(/end: poweroff/);
    expect(run.code).toBe(0);
    expect(readFileSync(target).every((b) => b === 0)).toBe(true);
  });

  it('with mellanox, carries the InfiniBand modules and tools, which run', async () => {
    const flavours = join(dir, 'flavours');
    mkdirSync(join(flavours, 'ib-probe/init.d'), { recursive: true });
    writeFileSync(join(flavours, 'ib-probe/README.md'), '# ib-probe\n\nTest flavour: runs the InfiniBand tools in the ramdisk.\n');
    const fragment = join(flavours, 'ib-probe/init.d/90-ib-probe');
    writeFileSync(fragment, [
      '#!/bin/sh',
      'echo "ib-probe: ibv_devinfo says: $(ibv_devinfo 2>&1 | head -n 1)"',
      'echo "ib-probe: $(mstflint --version 2>&1 | head -n 1)"',
      'modprobe mlx5_ib && modprobe mlx4_ib && modprobe ib_ipoib && echo "ib-probe: modules loaded"',
      '',
    ].join('\n'));
    chmodSync(fragment, 0o755);
    const name = await build('deploy-ib', ['--flavours-path', flavours, 'debian', 'deploy', 'mellanox', 'ib-probe']);
    const run = await bootUntilPoweroff(name, 'kiln.end=poweroff', ['-nic', 'none']);
    expect(run.console).toContain('mellanox: no RDMA device found');
    expect(run.console).toContain('ib-probe: ibv_devinfo says: No IB devices found');
    expect(run.console).toMatch(/ib-probe: mstflint, mstflint \d/);
    expect(run.console).toContain('ib-probe: modules loaded');
    expect(run.console).toMatch(/end: poweroff/);
  });
});
