// kiln-write-disk's copy on real files (no device needed): an image that ends before the size it
// claims (a truncated source, or a device that stops answering) stops the copy with a read error
// naming the byte, instead of padding the rest with zeros as `dd conv=noerror,sync` does; a whole
// image is copied and its digest is the file's.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyImage, hashDevice } from '../../lib/write-disk/copy.js';

const MiB = 1024 * 1024;

describe('kiln-write-disk copy (files)', () => {
  let dir: string;
  let image: Buffer;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-write-disk-copy-'));
    // 6 MiB: data, zeros, data (a 4 MiB chunk and a partial one).
    image = Buffer.concat([randomBytes(MiB), Buffer.alloc(3 * MiB), randomBytes(2 * MiB)]);
    writeFileSync(join(dir, 'image.raw'), image);
    writeFileSync(join(dir, 'device'), Buffer.alloc(8 * MiB, 0xff));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function copy(size: number): Promise<{ sha256: string; skipped: number }> {
    const target = await open(join(dir, 'device'), 'r+');
    try {
      return await copyImage({ source: join(dir, 'image.raw'), size, target, targetPath: join(dir, 'device'), zeros: 'check' });
    } finally {
      await target.close();
    }
  }

  it('copies a whole image, zeros included where the device held data, and its digest is the file\'s', async () => {
    const { sha256, skipped } = await copy(image.length);
    expect(sha256).toBe(createHash('sha256').update(image).digest('hex'));
    expect(skipped).toBe(0);
    expect(readFileSync(join(dir, 'device')).subarray(0, image.length).equals(image)).toBe(true);
    const device = await open(join(dir, 'device'), 'r');
    try {
      expect(await hashDevice(device, image.length, join(dir, 'device'))).toBe(sha256);
    } finally {
      await device.close();
    }
  });

  it('fails on an image shorter than it claims, naming where it ended, and pads nothing', async () => {
    await expect(copy(image.length + MiB)).rejects.toThrow(`read error: ${join(dir, 'image.raw')} ended at byte ${image.length}, ${MiB} bytes short of what was expected`);
    // What follows the image on the device is what was there: no zeros were written for the missing part.
    const after = readFileSync(join(dir, 'device')).subarray(image.length);
    expect(after.equals(Buffer.alloc(2 * MiB, 0xff))).toBe(true);
  });

  it('fails to read back a device shorter than the image', async () => {
    const device = await open(join(dir, 'image.raw'), 'r');
    try {
      await expect(hashDevice(device, 8 * MiB, 'short-device')).rejects.toThrow(/read error: short-device ended at byte 6291456/);
    } finally {
      await device.close();
    }
  });
});
