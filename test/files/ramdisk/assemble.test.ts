// buildRamdisk on a small real root (this machine's busybox and sha256sum, fake kernel, real ELF
// modules): what goes into the archive, owners, reproducibility, compression, and the errors
// that must stop a build before it writes anything.
import { execFileSync, execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/errors.js';
import { nullLog } from '../../../lib/log.js';
import { buildRamdisk, type RamdiskBuild } from '../../../lib/ramdisk/assemble.js';
import { MissingBinaryDepsError } from '../../../lib/ramdisk/binary-deps.js';
import { ResourceStack } from '../../../lib/resources/disposable-stack.js';
import { requireHostProgram } from '../../helpers/host.js';
import { hostStaticBusybox, KERNEL_VERSION, lddPaths, makeFakeRoot } from './fake-root.js';

const busybox = hostStaticBusybox();

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** `cpio -itv` of a compressed archive: one line per entry. */
function listArchive(path: string, decompress: string): string[] {
  return execSync(`${decompress} < '${path}' | cpio -itv --quiet`).toString().trim().split('\n');
}

describe('buildRamdisk on a small real root', () => {
  let dir: string;
  let root: string;
  let work: string;
  let flavour: string;

  beforeEach(() => {
    requireHostProgram(busybox, 'a static busybox', 'busybox-static');
    dir = mkdtempSync(join(tmpdir(), 'kiln-ramdisk-test-'));
    root = join(dir, 'root');
    work = join(dir, 'work');
    flavour = join(dir, 'flavours/probe');
    mkdirSync(root);
    mkdirSync(work);
    makeFakeRoot(root, busybox!);
    mkdirSync(join(flavour, 'init.d'), { recursive: true });
    writeFileSync(join(flavour, 'binary-deps'), '# checksums\nsha256sum\n');
    writeFileSync(join(flavour, 'init.d/20-probe-hello'), '#!/bin/sh\necho "hello from probe"\n');
    writeFileSync(join(flavour, 'init.d/10-probe-first'), 'echo first\n');
    writeFileSync(join(flavour, 'ramdisk-modules'), 'virtio_blk mlx5_core\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function request(extra: Partial<RamdiskBuild> = {}): RamdiskBuild {
    return {
      rootDir: root,
      flavours: [{ name: 'probe', path: flavour }],
      parts: {
        binaryDeps: [{ flavour: 'probe', name: 'binary-deps', path: join(flavour, 'binary-deps') }],
        init: ['10-probe-first', '20-probe-hello'].map((name) => ({ flavour: 'probe', name, path: join(flavour, 'init.d', name) })),
      },
      outputPrefix: join(dir, 'out/rescue'),
      compression: 'zstd',
      workDir: work,
      log: nullLog,
      stack: new ResourceStack(),
      ...extra,
    };
  }

  async function build(extra: Partial<RamdiskBuild> = {}): Promise<Awaited<ReturnType<typeof buildRamdisk>>> {
    const req = request(extra);
    try {
      return await buildRamdisk(req);
    } finally {
      await req.stack.disposeAsync();
    }
  }

  it('writes the newest kernel and an initramfs with busybox, the programs, their libraries, modules and /init', async () => {
    const result = await build();
    expect(result.kernel).toEqual({ path: join(dir, 'out/rescue.kernel'), bytes: 26, version: KERNEL_VERSION });
    expect(readFileSync(result.kernel.path, 'utf8')).toBe(`fake kernel ${KERNEL_VERSION}\n`);
    expect(readFileSync(result.initramfs.path).subarray(0, 4).toString('hex')).toBe('28b52ffd');
    expect(result.warnings).toEqual([`kernel ${KERNEL_VERSION} has no module "mlx5_core" (asked for by flavour probe (${join(flavour, 'ramdisk-modules')}))`]);
    // virtio_blk and virtio for the flavour; ext4 from kiln's own list.
    expect(result.contents).toMatchObject({ programs: 2, modules: 3, firmware: 1 });

    const lines = listArchive(result.initramfs.path, 'zstd -dc');
    const names = lines.map((l) => l.split(/\s+/).slice(8).join(' '));
    const expected = [
      'init', 'bin -> usr/bin', 'lib64 -> usr/lib64', 'usr/bin/busybox', 'usr/bin/sha256sum', 'usr/share/kiln/udhcpc.script',
      `usr/lib/modules/${KERNEL_VERSION}/kernel/drivers/block/virtio_blk.ko`, `usr/lib/modules/${KERNEL_VERSION}/kernel/drivers/virtio/virtio.ko`,
      `usr/lib/modules/${KERNEL_VERSION}/modules.dep`, 'usr/lib/firmware/kiln-test/blk.bin', 'etc/passwd',
    ];
    for (const name of expected) expect(names).toContain(name);
    expect(names.some((n) => n.startsWith('bin/sh -> ') || n.startsWith('usr/bin/sh -> '))).toBe(true);
    // Every library ldd names for sha256sum is in the archive, at its resolved path.
    for (const lib of lddPaths('/usr/bin/sha256sum')) expect(names).toContain(realpathSync(lib).slice(1));
    // Unrequested modules stay out; the compressed one is stored uncompressed.
    expect(names.filter((n) => n.includes('unused'))).toEqual([]);
    expect(names).toContain(`usr/lib/modules/${KERNEL_VERSION}/kernel/fs/ext4/ext4.ko`);
    expect(names.filter((n) => n.endsWith('.xz'))).toEqual([]);
    // Every entry belongs to root, with the pinned time stamp.
    expect(lines.every((l) => / root\s+root /.test(l))).toBe(true);
    expect(lines.every((l) => /Jan  1  1970/.test(l))).toBe(true);
  });

  it('orders init fragments by hook order, each named, and the result parses with busybox sh', async () => {
    const result = await build();
    const extract = join(dir, 'x');
    mkdirSync(extract);
    execSync(`zstd -dc < '${result.initramfs.path}' | cpio -id --quiet --no-absolute-filenames`, { cwd: extract });
    const init = readFileSync(join(extract, 'init'), 'utf8');
    expect(init.indexOf('flavour probe init.d/10-probe-first')).toBeGreaterThan(0);
    expect(init.indexOf('flavour probe init.d/20-probe-hello')).toBeGreaterThan(init.indexOf('flavour probe init.d/10-probe-first'));
    execFileSync(busybox!, ['sh', '-n', join(extract, 'init')]);
    // depmod indexed exactly what is there (dependencies come from symbols, which these lack).
    const dep = readFileSync(join(extract, `usr/lib/modules/${KERNEL_VERSION}/modules.dep`), 'utf8');
    expect(dep.split('\n').filter(Boolean).map((l) => l.replace(/:.*/, '')).sort()).toEqual([
      'kernel/drivers/block/virtio_blk.ko', 'kernel/drivers/virtio/virtio.ko', 'kernel/fs/ext4/ext4.ko',
    ]);
    expect(dep).not.toContain('unused');
    expect(readFileSync(join(extract, 'usr/lib/firmware/kiln-test/blk.bin'), 'utf8')).toBe('firmware blob');
  });

  it('stores compressed modules uncompressed, identical to the original', async () => {
    const result = await build();
    const extract = join(dir, 'x');
    mkdirSync(extract);
    execSync(`zstd -dc < '${result.initramfs.path}' | cpio -id --quiet --no-absolute-filenames`, { cwd: extract });
    const stored = readFileSync(join(extract, `usr/lib/modules/${KERNEL_VERSION}/kernel/fs/ext4/ext4.ko`));
    const original = execFileSync('xz', ['-dc', join(root, `usr/lib/modules/${KERNEL_VERSION}/kernel/fs/ext4/ext4.ko.xz`)]);
    expect(stored.equals(original)).toBe(true);
  });

  it('is reproducible, and leaves only the outputs behind', async () => {
    const first = sha256((await build()).initramfs.path);
    const second = sha256((await build()).initramfs.path);
    expect(second).toBe(first);
    expect(readdirSync(work)).toEqual([]);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['rescue.initramfs', 'rescue.kernel']);
  });

  it('compresses with gzip on request', async () => {
    const result = await build({ compression: 'gzip' });
    expect(readFileSync(result.initramfs.path).subarray(0, 2).toString('hex')).toBe('1f8b');
    expect(listArchive(result.initramfs.path, 'gzip -dc').length).toBeGreaterThan(20);
  });

  it('cleans up when interrupted while compressing: no partial output, no temporary tree', async () => {
    const controller = new AbortController();
    const log = {
      path: undefined,
      line: (_label: string, text: string) => {
        if (text.startsWith('running: zstd')) controller.abort(new Error('interrupted by the test'));
      },
    };
    await expect(build({ log, signal: controller.signal })).rejects.toThrow('interrupted by the test');
    expect(readdirSync(work)).toEqual([]);
    expect(readdirSync(join(dir, 'out'))).toEqual([]);
  });

  it('replaces an existing pair only when both new files are complete', async () => {
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'out/rescue.kernel'), 'old kernel');
    writeFileSync(join(dir, 'out/rescue.initramfs'), 'old initramfs');
    // A kernel that is no file is found before anything is written; in a build both outputs go
    // through the build's output set, which puts them in place together (partial.test.ts).
    rmSync(join(root, `boot/vmlinuz-${KERNEL_VERSION}`));
    mkdirSync(join(root, `boot/vmlinuz-${KERNEL_VERSION}`));
    await expect(build()).rejects.toThrow(/the image's kernel \/boot\/vmlinuz-6\.1\.0-1-amd64 is not a regular file inside the image/);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['rescue.initramfs', 'rescue.kernel']);
    expect(readFileSync(join(dir, 'out/rescue.kernel'), 'utf8')).toBe('old kernel');
    expect(readFileSync(join(dir, 'out/rescue.initramfs'), 'utf8')).toBe('old initramfs');
    expect(readdirSync(work)).toEqual([]);
  });

  it('uses DIB_KERNEL_VERSION when given, and explains a version that is not there', async () => {
    await expect(build({ kernelVersion: '9.9.9' })).rejects.toThrow(/DIB_KERNEL_VERSION is 9.9.9, but the image root has no \/boot\/vmlinuz-9.9.9 \(kernels there: vmlinuz-5.10.0-9-amd64, vmlinuz-6.1.0-1-amd64\)/);
    await expect(build({ kernelVersion: '5.10.0-9-amd64' })).rejects.toThrow(/has kernel 5.10.0-9-amd64 but no \/lib\/modules\/5.10.0-9-amd64/);
  });

  it('refuses missing binary-deps, naming flavour and file, before writing anything', async () => {
    writeFileSync(join(flavour, 'binary-deps'), 'sha256sum ibstat\n');
    const error = await build().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingBinaryDepsError);
    expect((error as Error).message).toBe(`flavour probe lists "ibstat" in ${join(flavour, 'binary-deps')}, but the image root has no such program`);
    expect(readdirSync(work)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['flavours', 'root', 'work']);
  });

  it('refuses an init fragment that is not valid shell, naming its flavour', async () => {
    writeFileSync(join(flavour, 'init.d/20-probe-hello'), 'if then fi (\n');
    const error = await build().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(new RegExp(`^${join(flavour, 'init.d/20-probe-hello')}: init fragment of flavour probe is not valid shell`));
    expect(readdirSync(work)).toEqual([]);
  });

  it('needs busybox and a kernel in the root', async () => {
    rmSync(join(root, 'usr/bin/busybox'));
    await expect(build()).rejects.toThrow(/the image root has no busybox/);
    rmSync(join(root, 'boot'), { recursive: true });
    await expect(build()).rejects.toThrow(/the image root has no kernel/);
  });

  it('copies a kernel readable only by its owner (Debian vmlinuz may be 0600)', async () => {
    chmodSync(join(root, `boot/vmlinuz-${KERNEL_VERSION}`), 0o600);
    const result = await build();
    expect(result.kernel.bytes).toBeGreaterThan(0);
  });
});
