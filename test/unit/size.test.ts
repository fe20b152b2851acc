// Image size arithmetic (DIB disk-image-create, dib.md 4.4) and the block-device-size.d protocol.
import { describe, expect, it } from 'vitest';
import { applySizeHookOutput, hasEfiFlavour, imageSize, sizeHookEnvironment } from '../../lib/plan/image-size.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

describe('imageSize', () => {
  it('divides the tree by 0.6, adds the 64 MiB ext4 journal and rounds up to 64 KiB', () => {
    // 600 000 KiB / 0.6 = 1 000 000 KiB; + 65 536 = 1 065 536 KiB; already a multiple of 64.
    const size = imageSize({ treeBytes: 600_000 * KiB, rootFsType: 'ext4', hasEsp: false });
    expect(size.kib).toBe(1_065_536);
    expect(size.bytes).toBe(1_065_536 * KiB);
  });

  it('rounds the tree up to whole KiB and the result up (not down) to 64 KiB', () => {
    // 1000 bytes → 1 KiB; int(1 / 0.6) = 1; 1 → 64.
    expect(imageSize({ treeBytes: 1000, rootFsType: 'xfs', hasEsp: false }).kib).toBe(64);
    // 100 KiB / 0.6 = 166.67 → 166 → 192.
    expect(imageSize({ treeBytes: 100 * KiB, rootFsType: 'xfs', hasEsp: false }).kib).toBe(192);
  });

  it('adds --image-extra-size to the tree instead of dividing by 0.6', () => {
    const size = imageSize({ treeBytes: 500 * MiB, extraBytes: 200 * MiB, rootFsType: 'xfs', hasEsp: false });
    expect(size.bytes).toBe(700 * MiB);
    expect(imageSize({ treeBytes: 500 * MiB, extraBytes: 200 * MiB, rootFsType: 'ext4', journalMiB: 32, hasEsp: false }).bytes).toBe(732 * MiB);
  });

  it('lets --image-size win, without journal, but still adds the EFI partition (as DIB does)', () => {
    expect(imageSize({ treeBytes: 50 * GiB, imageSizeBytes: 2 * GiB, rootFsType: 'ext4', hasEsp: false }).bytes).toBe(2 * GiB);
    expect(imageSize({ treeBytes: 1, imageSizeBytes: 2 * GiB, rootFsType: 'ext4', hasEsp: true }).bytes).toBe(2 * GiB + 525 * MiB);
    expect(imageSize({ treeBytes: 1.5 * GiB + 100, imageSizeBytes: 1.5 * GiB + 100, rootFsType: 'ext4', hasEsp: false }).bytes).toBe(1.5 * GiB);
  });

  it('explains each step', () => {
    const steps = imageSize({ treeBytes: 100 * KiB, rootFsType: 'ext4', hasEsp: true }).steps;
    expect(steps).toEqual([
      'tree 100 KiB / 0.6 = 166 KiB',
      '+ ext4 journal 65536 KiB = 65702 KiB',
      '+ EFI system partition 537600 KiB = 603302 KiB',
      'rounded up to a multiple of 64 KiB: 603328 KiB',
    ]);
  });

  it('recognises block-device-efi flavours by name, as DIB does', () => {
    expect(hasEfiFlavour(['vm', 'block-device-efi'])).toBe(true);
    expect(hasEfiFlavour(['block-device-efi-lvm'])).toBe(true);
    expect(hasEfiFlavour(['vm', 'block-device-gpt'])).toBe(false);
  });
});

describe('block-device-size.d', () => {
  it('gives hooks IMAGE_SIZE in whole GiB (rounded up) and the exact sizes', () => {
    expect(sizeHookEnvironment(1.2 * GiB, 12345)).toEqual({
      IMAGE_SIZE: '2', KILN_IMAGE_SIZE_BYTES: String(1.2 * GiB), KILN_TREE_SIZE: '12345',
    });
  });

  it('takes the last IMAGE_SIZE= line; bare numbers are GiB, units are allowed', () => {
    expect(applySizeHookOutput(['hello', 'IMAGE_SIZE=3', 'more output'], GiB)).toBe(3 * GiB);
    expect(applySizeHookOutput(['IMAGE_SIZE=3', 'IMAGE_SIZE=1500M'], GiB)).toBe(1500 * MiB);
    expect(applySizeHookOutput(['IMAGE_SIZE="2GiB"'], GiB)).toBe(2 * GiB);
    expect(applySizeHookOutput(['IMAGE_SIZE=1.5'], GiB)).toBe(1.5 * GiB);
  });

  it('keeps the current size when no hook printed one, and rounds to 64 KiB', () => {
    expect(applySizeHookOutput(['nothing here', 'XIMAGE_SIZE=9'], 7 * MiB)).toBe(7 * MiB);
    expect(applySizeHookOutput(['IMAGE_SIZE=1000000'.replace('=', '=') + 'B'], GiB)).toBe(1_048_576);
  });

  it('rejects a value that is not a size, naming the hook', () => {
    expect(() => applySizeHookOutput(['IMAGE_SIZE=big'], GiB, 'block-device-size.d/10-grow')).toThrow(
      'block-device-size.d/10-grow printed IMAGE_SIZE=big, which is not a size',
    );
    expect(() => applySizeHookOutput(['IMAGE_SIZE=0'], GiB)).toThrow(/not a size/);
  });
});

describe('DIB size specs (block_device/tests/test_utils.py) through lib/config/size.ts', () => {
  it('reads absolute and unit sizes as the block-device layer does', async () => {
    const { parseSize } = await import('../../lib/config/size.js');
    expect(parseSize('154MiB', 'decimal', true)).toEqual({ kind: 'bytes', bytes: 161_480_704 });
    expect(parseSize('198', 'decimal', true)).toEqual({ kind: 'bytes', bytes: 198 });
    expect(parseSize('1G', 'decimal', true)).toEqual({ kind: 'bytes', bytes: 1e9 });
    expect(parseSize('2TiB', 'decimal', true)).toEqual({ kind: 'bytes', bytes: 2 * 1024 ** 4 });
    expect(parseSize('50%', 'decimal', true)).toEqual({ kind: 'percent', percent: 50 });
    expect(parseSize('747InVaLiDUnIt', 'decimal', true)).toBeUndefined();
    expect(parseSize('_+!HuHi+-=', 'decimal', true)).toBeUndefined();
  });
});
