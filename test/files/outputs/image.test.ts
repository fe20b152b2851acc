// Image outputs with the real qemu-img on plain files (no root needed).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandFailedError } from '../../../lib/errors.js';
import { nullLog } from '../../../lib/log.js';
import { qemuImgHasZstd, writeImageOutput, writeImageOutputs } from '../../../lib/outputs/image.js';
import { partialLeftovers, partialOf } from '../../helpers/outputs.js';

const MiB = 1024 * 1024;

/** A sparse raw disk of `size` bytes with data at a few places. */
function makeRaw(path: string, size: number, chunks: { offset: number; bytes: number; random?: boolean }[]): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
    for (const c of chunks) {
      const data = c.random ? randomBytes(c.bytes) : Buffer.alloc(c.bytes, 'kiln image data ');
      writeSync(fd, data, 0, data.length, c.offset);
    }
  } finally {
    closeSync(fd);
  }
}

function info(path: string, format?: string): Record<string, unknown> & { 'format-specific'?: { data: Record<string, unknown> } } {
  // A fixed VHD has only a footer, so qemu-img would probe it as raw: name the format.
  const args = ['info', '--output=json', ...(format ? ['-f', format] : []), path];
  return JSON.parse(execFileSync('qemu-img', args).toString()) as ReturnType<typeof info>;
}

function sameContent(reference: string, format: string, path: string): boolean {
  const qemuFormat = format === 'vhd' ? 'vpc' : format;
  try {
    execFileSync('qemu-img', ['compare', '-q', '-f', 'raw', '-F', qemuFormat, reference, path]);
    return true;
  } catch {
    return false;
  }
}

const allocated = (path: string): number => statSync(path).blocks * 512;
const leftovers = partialLeftovers;

describe('image outputs with qemu-img', () => {
  let dir: string;
  let raw: string;
  let reference: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-image-outputs-'));
    raw = join(dir, 'work.raw');
    reference = join(dir, 'reference.raw');
    const chunks = [{ offset: MiB, bytes: 4 * MiB, random: true }, { offset: 40 * MiB, bytes: 2 * MiB }];
    makeRaw(raw, 64 * MiB, chunks);
    // The raw is moved away by the raw output: compare against a copy.
    execFileSync('cp', ['--sparse=always', raw, reference]);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('converts the raw once per format, moves the raw last, and keeps every output sparse', async () => {
    const name = join(dir, 'out', 'img');
    const written = await writeImageOutputs({ raw, imageName: name, formats: ['raw', 'qcow2', 'tar', 'vhd', 'vmdk', 'vdi'], uncompressed: false, log: nullLog });
    expect(written.map((w) => w.format)).toEqual(['qcow2', 'vhd', 'vmdk', 'vdi', 'raw']);
    expect(existsSync(raw)).toBe(false);
    for (const { format, path } of written) {
      expect(path).toBe(`${name}.${format}`);
      expect(sameContent(reference, format, path), `${format} has the raw's content`).toBe(true);
    }
    expect(leftovers(join(dir, 'out'))).toEqual([]);
    // raw and the fixed VHD are 64 MiB apparently but only the 6 MiB of data are allocated.
    expect(statSync(`${name}.raw`).size).toBe(64 * MiB);
    expect(allocated(`${name}.raw`)).toBeLessThan(8 * MiB);
    expect(allocated(`${name}.vhd`)).toBeLessThan(8 * MiB);
    for (const format of ['qcow2', 'vmdk', 'vdi']) expect(statSync(`${name}.${format}`).size, format).toBeLessThan(8 * MiB);
  });

  it('writes zstd-compressed qcow2, exact-size fixed VHD and streamOptimized VMDK', async () => {
    expect(await qemuImgHasZstd()).toBe(true);
    const name = join(dir, 'img');
    await writeImageOutputs({ raw, imageName: name, formats: ['qcow2', 'vhd', 'vmdk'], uncompressed: false, log: nullLog });
    expect(info(`${name}.qcow2`)['format-specific']?.data['compression-type']).toBe('zstd');
    const vhd = info(`${name}.vhd`, 'vpc');
    expect(vhd['virtual-size']).toBe(64 * MiB);
    expect(statSync(`${name}.vhd`).size).toBe(64 * MiB + 512);
    expect(info(`${name}.vmdk`)['format-specific']?.data['create-type']).toBe('streamOptimized');
    // Not the final output: the raw stays where it is when raw is not requested.
    expect(existsSync(raw)).toBe(true);
  });

  it('does not compress with -u', async () => {
    const compressed = join(dir, 'c');
    const plain = join(dir, 'u');
    await writeImageOutputs({ raw, imageName: compressed, formats: ['qcow2', 'vmdk'], uncompressed: false, log: nullLog });
    await writeImageOutputs({ raw, imageName: plain, formats: ['qcow2', 'vmdk'], uncompressed: true, log: nullLog });
    // The 2 MiB of repeated text compress to almost nothing; uncompressed they take 2 MiB.
    expect(statSync(`${plain}.qcow2`).size - statSync(`${compressed}.qcow2`).size).toBeGreaterThan(MiB);
    expect(info(`${plain}.vmdk`)['format-specific']?.data['create-type']).toBe('monolithicSparse');
    expect(sameContent(reference, 'qcow2', `${plain}.qcow2`)).toBe(true);
  });

  it("applies --qemu-img-options after kiln's own", async () => {
    const name = join(dir, 'img');
    await writeImageOutputs({ raw, imageName: name, formats: ['qcow2'], uncompressed: false, qemuImgOptions: 'cluster_size=2M,compression_type=zlib', log: nullLog });
    const data = info(`${name}.qcow2`)['format-specific']!.data;
    expect(info(`${name}.qcow2`)['cluster-size']).toBe(2 * MiB);
    expect(data['compression-type']).toBe('zlib');
  });

  it('leaves nothing behind when qemu-img fails', async () => {
    const name = join(dir, 'img');
    const failing = writeImageOutputs({ raw, imageName: name, formats: ['qcow2'], uncompressed: false, qemuImgOptions: 'no_such_option=1', log: nullLog });
    await expect(failing).rejects.toBeInstanceOf(CommandFailedError);
    expect(existsSync(`${name}.qcow2`)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });

  it('leaves nothing behind when aborted mid-conversion', async () => {
    const big = join(dir, 'big.raw');
    makeRaw(big, 128 * MiB, [{ offset: 0, bytes: 96 * MiB, random: true }]);
    const path = join(dir, 'img.vmdk');
    const controller = new AbortController();
    const writing = writeImageOutput({ format: 'vmdk', raw: big, path, compress: true, userOptions: undefined, log: nullLog, signal: controller.signal });
    const outcome = writing.then(() => 'finished', (error: unknown) => error);
    // Abort once qemu-img has started writing the partial file.
    for (let i = 0; i < 500 && !partialOf(path); i++) await sleep(10);
    expect(partialOf(path)).toBeDefined();
    controller.abort(new Error('stop requested'));
    expect(await outcome).toEqual(new Error('stop requested'));
    expect(existsSync(path)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });

  it('copies the raw sparsely when asked not to move it, and across filesystems', async () => {
    const copy = join(dir, 'copy.raw');
    await writeImageOutput({ format: 'raw', raw, path: copy, compress: true, userOptions: undefined, log: nullLog }, false);
    expect(existsSync(raw)).toBe(true);
    expect(allocated(copy)).toBeLessThan(8 * MiB);
    // /dev/shm is tmpfs, like kiln's work folder: rename fails with EXDEV and kiln copies.
    const shm = mkdtempSync('/dev/shm/kiln-image-outputs-');
    try {
      const onTmpfs = join(shm, 'disk.raw');
      execFileSync('cp', ['--sparse=always', raw, onTmpfs]);
      const moved = join(dir, 'moved.raw');
      await writeImageOutput({ format: 'raw', raw: onTmpfs, path: moved, compress: true, userOptions: undefined, log: nullLog }, true);
      expect(sameContent(reference, 'raw', moved)).toBe(true);
      expect(allocated(moved)).toBeLessThan(8 * MiB);
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
    expect(leftovers(dir)).toEqual([]);
  });
});
