// The deploy ramdisk for real: a Debian bookworm root with the kernel, busybox-static and kmod
// (what the ramdisk flavour installs), made into a kernel + initramfs by kiln's ramdisk library
// with the ramdisk and deploy flavours, then booted under QEMU (TCG) with two virtio disks. It
// must print its inventory, copy the raw image from vdb to vda, verify it and power off; the
// disks are compared byte for byte. A second boot (gzip initramfs, a network without DHCP, a
// target smaller than the image) must refuse and say why. With the mellanox flavour, the
// InfiniBand tools must run in the ramdisk. Uses the library directly; the ramdisk-image-create
// command will take its place.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareHookNames } from '../../lib/flavours/hooks.js';
import { FileLog } from '../../lib/log.js';
import { buildRamdisk, type RamdiskBuild, type RamdiskResult } from '../../lib/ramdisk/assemble.js';
import { ResourceStack } from '../../lib/resources/disposable-stack.js';
import { e2eCache } from '../helpers/e2e.js';
import { isRoot, repo } from '../helpers/host.js';

const MIRROR = process.env.KILN_E2E_MIRROR ?? 'http://deb.debian.org/debian';
const MiB = 1024 * 1024;

/** What the ramdisk flavour installs on minbase. */
const RAMDISK_PACKAGES = ['linux-image-amd64', 'busybox-static', 'kmod'];
/** What the mellanox flavour's package-installs.yaml adds. */
const MELLANOX_PACKAGES = ['rdma-core', 'ibverbs-providers', 'ibverbs-utils', 'infiniband-diags', 'mstflint'];

/** A bootstrapped bookworm root with `packages`, as a cached tarball. */
function rootTarball(name: string, packages: string[]): string {
  const dir = join(e2eCache(), 'ramdisk');
  mkdirSync(dir, { recursive: true });
  const tarball = join(dir, `bookworm-minbase-${name}.tar.zst`);
  if (!existsSync(tarball)) {
    const partial = `${tarball}.partial.tar.zst`;
    execFileSync('mmdebstrap', ['--variant=minbase', `--include=${packages.join(',')}`, 'bookworm', partial, MIRROR], { stdio: 'inherit' });
    renameSync(partial, tarball);
  }
  return tarball;
}

/** Unpacks a cached root into `dir`. */
function unpackRoot(tarball: string, dir: string): string {
  mkdirSync(dir);
  execFileSync('tar', ['--zstd', '-xpf', tarball, '-C', dir]);
  return dir;
}

/** The plan's ramdisk parts of flavour folders: binary-deps and init fragments, in hook order. */
function ramdiskParts(flavours: { name: string; path: string }[]): RamdiskBuild['parts'] {
  const binaryDeps = flavours.filter((f) => existsSync(join(f.path, 'binary-deps'))).map((f) => ({ flavour: f.name, name: 'binary-deps', path: join(f.path, 'binary-deps') }));
  const init = flavours
    .flatMap((f) => (existsSync(join(f.path, 'init.d')) ? readdirSync(join(f.path, 'init.d')) : []).map((name) => ({ flavour: f.name, name, path: join(f.path, 'init.d', name) })))
    .sort((a, b) => compareHookNames(a.name, b.name));
  return { binaryDeps, init };
}

const builtIn = (name: string): { name: string; path: string } => ({ name, path: join(repo, 'flavours', name) });

function writeRandom(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  for (let done = 0; done < bytes; done += MiB) writeSync(fd, randomBytes(Math.min(MiB, bytes - done)));
  closeSync(fd);
}

/** Boots kernel + initramfs with the disks; resolves with the console text when QEMU exits by itself. */
function bootUntilPoweroff(kernel: string, initrd: string, append: string, devices: string[], timeoutMs: number): Promise<{ console: string; code: number | null; seconds: number }> {
  const argv = ['-accel', 'tcg', '-m', '1024', '-smp', '2', '-nographic', '-no-reboot', '-kernel', kernel, '-initrd', initrd, '-append', `console=ttyS0 ${append}`, ...devices];
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

describe.skipIf(!isRoot)('deploy ramdisk (e2e, QEMU TCG)', () => {
  let dir: string;
  let root: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-ramdisk-'));
    root = unpackRoot(rootTarball('kernel-busybox', RAMDISK_PACKAGES), join(dir, 'root'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function build(name: string, compression: 'zstd' | 'gzip', flavours = [builtIn('ramdisk'), builtIn('deploy')], rootDir = root): Promise<RamdiskResult & { seconds: number }> {
    const stack = new ResourceStack();
    const log = new FileLog(join(dir, `${name}.log`));
    const started = Date.now();
    try {
      const result = await buildRamdisk({
        rootDir, flavours, parts: ramdiskParts(flavours),
        outputPrefix: join(dir, name), compression, workDir: dir, log, stack,
      });
      return { ...result, seconds: (Date.now() - started) / 1000 };
    } finally {
      await stack.disposeAsync();
      log.close();
    }
  }

  it('boots, prints its inventory, deploys vdb onto vda, verifies and powers off', async () => {
    const result = await build('deploy', 'zstd');
    console.log(`ramdisk build ${result.seconds.toFixed(1)} s, initramfs ${(result.initramfs.bytes / MiB).toFixed(1)} MiB (${(result.initramfs.uncompressedBytes / MiB).toFixed(1)} MiB cpio), kernel ${result.kernel.version}`);
    expect(result.warnings).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.startsWith('kiln-ramdisk.'))).toEqual([]);
    const source = join(dir, 'image.raw');
    const target = join(dir, 'target.raw');
    writeRandom(source, 40 * MiB);
    execFileSync('truncate', ['-s', '64M', target]);

    const run = await bootUntilPoweroff(result.kernel.path, result.initramfs.path, 'kiln.deploy.source=/dev/vdb kiln.deploy.target=/dev/vda kiln.on-failure=poweroff',
      [...disk('d0', target, 'KILN-TARGET-1'), ...disk('d1', source, 'KILN-SOURCE-1', true), '-nic', 'user,model=virtio-net-pci,mac=52:54:00:12:34:77'], 600_000);
    console.log(`deploy boot to power-off: ${run.seconds.toFixed(0)} s`);
    const text = run.console;
    expect(text).toMatch(/kiln-inventory: cpu count=2 model=\S/);
    expect(text).toMatch(/kiln-inventory: memory total_kib=\d{6,}/);
    expect(text).toContain('kiln-inventory: disk /dev/vda size_bytes=67108864 serial=KILN-TARGET-1');
    expect(text).toContain('kiln-inventory: disk /dev/vdb size_bytes=41943040 serial=KILN-SOURCE-1');
    expect(text).toMatch(/kiln-inventory: nic eth0 mac=52:54:00:12:34:77 state=up ipv4=10\.0\.2\.15\/24/);
    expect(text).toMatch(/kiln-deploy: verified: sha256 [0-9a-f]{64} of 41943040 bytes on \/dev\/vda/);
    expect(text).toContain('kiln-init: [');
    expect(text).toMatch(/end: poweroff/);
    expect(text).not.toMatch(/Kernel panic|ERROR/);
    expect(run.code).toBe(0);

    const copied = readFileSync(target);
    expect(copied.subarray(0, 40 * MiB).equals(readFileSync(source))).toBe(true);
    expect(copied.subarray(40 * MiB).every((b) => b === 0)).toBe(true);
  });

  it('refuses a target smaller than the image, says why, and carries on without DHCP (gzip initramfs)', async () => {
    const result = await build('deploy-gzip', 'gzip');
    expect(readFileSync(result.initramfs.path).subarray(0, 2).toString('hex')).toBe('1f8b');
    const source = join(dir, 'big.raw');
    const target = join(dir, 'small.raw');
    execFileSync('truncate', ['-s', '48M', source]);
    execFileSync('truncate', ['-s', '32M', target]);
    // A NIC on a hub with nothing else on it: no DHCP server answers.
    const run = await bootUntilPoweroff(result.kernel.path, result.initramfs.path, 'kiln.deploy.source=/dev/vdb kiln.deploy.target=/dev/vda kiln.on-failure=poweroff',
      [...disk('d0', target, 'SMALL'), ...disk('d1', source, 'BIG', true), '-netdev', 'hubport,id=n0,hubid=0', '-device', 'virtio-net-pci,netdev=n0'], 600_000);
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
    const mlxRoot = unpackRoot(rootTarball('kernel-busybox-rdma', [...RAMDISK_PACKAGES, ...MELLANOX_PACKAGES]), join(dir, 'mlx-root'));
    const probe = join(dir, 'flavours/ib-probe');
    mkdirSync(join(probe, 'init.d'), { recursive: true });
    writeFileSync(join(probe, 'init.d/90-ib-probe'), [
      '#!/bin/sh',
      'echo "ib-probe: ibv_devinfo says: $(ibv_devinfo 2>&1 | head -n 1)"',
      'echo "ib-probe: $(mstflint --version 2>&1 | head -n 1)"',
      'modprobe mlx5_ib && modprobe mlx4_ib && modprobe ib_ipoib && echo "ib-probe: modules loaded"',
      'kiln_end_with poweroff',
      '',
    ].join('\n'));
    const result = await build('ib', 'zstd', [builtIn('ramdisk'), builtIn('mellanox'), { name: 'ib-probe', path: probe }], mlxRoot);
    expect(result.warnings).toEqual([]);
    const run = await bootUntilPoweroff(result.kernel.path, result.initramfs.path, 'kiln.on-failure=poweroff', ['-nic', 'none'], 600_000);
    expect(run.console).toContain('mellanox: no RDMA device found');
    expect(run.console).toContain('ib-probe: ibv_devinfo says: No IB devices found');
    expect(run.console).toMatch(/ib-probe: mstflint, mstflint \d/);
    expect(run.console).toContain('ib-probe: modules loaded');
    expect(run.console).toMatch(/end: poweroff/);
  });
});
