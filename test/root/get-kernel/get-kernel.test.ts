// disk-image-get-kernel on real images: GPT and MBR raw disks, qcow2, a bare filesystem, a
// separate /boot partition; its errors; and that it leaves no loop device, mount or temp folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import { getKernel } from '../../../lib/image-read/get-kernel.js';
import { nullLog } from '../../../lib/log.js';
import { ResourceStack } from '../../../lib/resources/disposable-stack.js';
import { bin, isRoot } from '../../helpers/host.js';
import { DEBIAN_TREE, ext4At, gptImage, imageReadState, partitionedImage, toQcow2, writeTree } from './images.js';

function getKernelCli(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(bin('disk-image-get-kernel'), args, { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!isRoot)('disk-image-get-kernel', () => {
  let dir: string;
  let before: ReturnType<typeof imageReadState>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-getkernel-test-'));
    before = imageReadState(dir);
    writeTree(join(dir, 'tree'), DEBIAN_TREE, ['boot/vmlinuz-6.1.0-1-amd64']);
  });
  afterEach(() => {
    const after = imageReadState(dir);
    rmSync(dir, { recursive: true, force: true });
    expect(after).toEqual(before);
  });

  it('writes the newest kernel and its initrd of a GPT raw image, named after the image, in the current folder', () => {
    gptImage(join(dir, 'web.raw'), join(dir, 'tree'));
    const out = join(dir, 'out');
    mkdirSync(out);
    const r = getKernelCli(['-i', join(dir, 'web.raw')], out);
    expect(r.stderr).toBe(`disk-image-get-kernel: kernel 6.1.0-1-amd64 from partition 3 of ${join(dir, 'web.raw')}\n`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(out, 'web-vmlinuz')}\n${join(out, 'web-initrd')}\n`);
    expect(readFileSync(join(out, 'web-vmlinuz'), 'utf8')).toBe('kernel 6.1.0-1\n');
    expect(readFileSync(join(out, 'web-initrd'), 'utf8')).toBe('initrd 6.1.0-1\n');
    expect(statSync(join(out, 'web-vmlinuz')).mode & 0o777).toBe(0o644);
    expect(readdirSync(out).sort()).toEqual(['web-initrd', 'web-vmlinuz']);
  });

  it('reads a qcow2 image, with -d and -o', () => {
    gptImage(join(dir, 'web.raw'), join(dir, 'tree'));
    toQcow2(join(dir, 'web.raw'), join(dir, 'web.qcow2'));
    rmSync(join(dir, 'web.raw'));
    mkdirSync(join(dir, 'out'));
    const r = getKernelCli(['-i', 'web.qcow2', '-d', 'out', '-o', 'pxe-1'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out/pxe-1-vmlinuz'), 'utf8')).toBe('kernel 6.1.0-1\n');
    expect(readFileSync(join(dir, 'out/pxe-1-initrd'), 'utf8')).toBe('initrd 6.1.0-1\n');
  });

  it('finds the kernel on a separate /boot partition of an MBR disk, and in a bare filesystem image', async () => {
    writeTree(join(dir, 'bootfs'), { 'vmlinuz-6.2.0-3-amd64': 'kernel 6.2\n', 'initrd.img-6.2.0-3-amd64': 'initrd 6.2\n' });
    writeTree(join(dir, 'rootfs'), { 'etc/os-release': 'ID=debian\n', 'boot/.keep': '' });
    const starts = partitionedImage(join(dir, 'mbr.img'), 64, 'label: dos\nsize=16MiB, type=83\ntype=83\n');
    ext4At(join(dir, 'mbr.img'), starts[0]!, 16 * 1024, join(dir, 'bootfs'));
    ext4At(join(dir, 'mbr.img'), starts[1]!, 40 * 1024, join(dir, 'rootfs'));
    expect(await extract(join(dir, 'mbr.img'), dir, 'mbr')).toMatchObject({ version: '6.2.0-3-amd64', volume: 'partition 1' });
    expect(readFileSync(join(dir, 'mbr-initrd'), 'utf8')).toBe('initrd 6.2\n');

    execFileSync('mkfs.ext4', ['-q', '-F', '-d', join(dir, 'tree'), join(dir, 'fs.ext4'), '8M']);
    expect(await extract(join(dir, 'fs.ext4'), dir, 'fs')).toMatchObject({ version: '6.1.0-1-amd64', volume: 'the whole image' });
  });

  it('explains images without a kernel, without an initrd, and files that are no disk image (exit 2)', () => {
    writeTree(join(dir, 'nokernel'), { 'etc/os-release': 'ID=debian\n' });
    gptImage(join(dir, 'empty.raw'), join(dir, 'nokernel'));
    let r = getKernelCli(['-i', 'empty.raw'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^disk-image-get-kernel: .*empty.raw holds no kernel: no boot\/vmlinuz-VERSION in partition 3\n/);

    writeTree(join(dir, 'noinitrd'), { 'boot/vmlinuz-6.1.0-1-amd64': 'k' });
    gptImage(join(dir, 'noinitrd.raw'), join(dir, 'noinitrd'));
    r = getKernelCli(['-i', 'noinitrd.raw'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has kernel vmlinuz-6.1.0-1-amd64 but no initrd for it/);

    writeFileSync(join(dir, 'notes.txt'), 'just text\n'.repeat(100));
    r = getKernelCli(['-i', 'notes.txt'], dir);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `disk-image-get-kernel: ${join(dir, 'notes.txt')} is not a disk image: it has no qcow2 header, partition table or ext4/XFS/btrfs filesystem`]);

    execFileSync('tar', ['-C', join(dir, 'tree'), '-czf', join(dir, 'root.tar.gz'), '.']);
    r = getKernelCli(['-i', 'root.tar.gz'], dir);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `disk-image-get-kernel: ${join(dir, 'root.tar.gz')} is a tar archive, not a disk image`]);

    r = getKernelCli(['-i', 'missing.qcow2'], dir);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, `disk-image-get-kernel: ${join(dir, 'missing.qcow2')} does not exist`]);
    expect(readdirSync(dir).filter((n) => /-vmlinuz$|-initrd$|partial/.test(n))).toEqual([]);
  });

  it('releases the loop device, mount and temp folder when interrupted while mounted', async () => {
    gptImage(join(dir, 'web.raw'), join(dir, 'tree'));
    toQcow2(join(dir, 'web.raw'), join(dir, 'web.qcow2'));
    const controller = new AbortController();
    const log = { path: undefined, line: (_l: string, text: string) => {
      if (text.startsWith('running: umount')) return;
      if (text.startsWith('running: mount')) setImmediate(() => controller.abort(new Error('interrupted by the test')));
    } };
    const stack = new ResourceStack();
    const result = getKernel({ image: join(dir, 'web.qcow2'), outDir: dir, prefix: 'x', log, signal: controller.signal, stack });
    await expect(result).rejects.toThrow('interrupted by the test');
    // The caller's stack still holds releases (the qcow2's raw copy); afterEach checks for leaks.
    await stack.disposeAsync();
    expect(readdirSync(dir).filter((n) => n.includes('partial'))).toEqual([]);
  });

  async function extract(image: string, outDir: string, prefix: string): ReturnType<typeof getKernel> {
    const stack = new ResourceStack();
    try {
      return await getKernel({ image, outDir, prefix, log: nullLog, stack });
    } finally {
      await stack.disposeAsync();
    }
  }

  it('reports a missing image as a UsageError from the library too', async () => {
    await expect(extract(join(dir, 'nope.raw'), dir, 'x')).rejects.toBeInstanceOf(UsageError);
  });
});
