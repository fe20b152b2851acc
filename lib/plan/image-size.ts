// The disk image size, computed as disk-image-create does (in KiB): --image-size if given, else
// the measured tree divided by 0.6 (or plus --image-extra-size), plus the ext4 journal when the
// user gave no size, plus 525 MiB for an EFI system partition (even with --image-size), rounded
// up to a multiple of 64 KiB (qemu-img bug LP#1180021). Also the block-device-size.d protocol:
// hooks see IMAGE_SIZE (whole GiB, as the seed defines it) and print IMAGE_SIZE=<size> lines;
// the last value printed wins. Pure.
import { parseBytes } from '../config/size.js';
import { UsageError } from '../errors.js';

/** What the size depends on. */
export interface SizeInputs {
  /** Disk usage of the built tree in bytes (du -x). */
  treeBytes: number;
  /** --image-size, if given: wins over the measured tree. */
  imageSizeBytes?: number | undefined;
  /** --image-extra-size (DIB_IMAGE_EXTRA_SIZE): added to the tree instead of dividing by 0.6. */
  extraBytes?: number | undefined;
  /** Type of the filesystem mounted at / (ext4 adds its journal). */
  rootFsType: string | undefined;
  /** ext4 journal size in MiB (default 64). */
  journalMiB?: number | undefined;
  /** The layout has an EFI system partition (DIB: a block-device-efi* flavour is in the build). */
  hasEsp: boolean;
}

/** The computed size and how it was reached. */
export interface ImageSize {
  bytes: number;
  kib: number;
  /** One line per step, for the build log and --dry-run. */
  steps: string[];
}

const KIB = 1024;
/** Extra space DIB adds for an EFI system partition (its ESP is 550 MiB). */
const ESP_EXTRA_KIB = 525 * 1024;

/** Computes the image size from the tree size and the options. */
export function imageSize(inputs: SizeInputs): ImageSize {
  const steps: string[] = [];
  let kib: number;
  if (inputs.imageSizeBytes !== undefined) {
    kib = Math.floor(inputs.imageSizeBytes / KIB);
    steps.push(`--image-size: ${kib} KiB`);
  } else {
    const tree = Math.ceil(inputs.treeBytes / KIB);
    if (inputs.extraBytes !== undefined) {
      kib = tree + Math.floor(inputs.extraBytes / KIB);
      steps.push(`tree ${tree} KiB + extra ${Math.floor(inputs.extraBytes / KIB)} KiB = ${kib} KiB`);
    } else {
      kib = Math.floor(tree / 0.6);
      steps.push(`tree ${tree} KiB / 0.6 = ${kib} KiB`);
    }
    if (inputs.rootFsType === 'ext4') {
      const journal = (inputs.journalMiB ?? 64) * 1024;
      kib += journal;
      steps.push(`+ ext4 journal ${journal} KiB = ${kib} KiB`);
    }
  }
  if (inputs.hasEsp) {
    kib += ESP_EXTRA_KIB;
    steps.push(`+ EFI system partition ${ESP_EXTRA_KIB} KiB = ${kib} KiB`);
  }
  const rounded = Math.ceil(kib / 64) * 64;
  if (rounded !== kib) steps.push(`rounded up to a multiple of 64 KiB: ${rounded} KiB`);
  return { bytes: rounded * KIB, kib: rounded, steps };
}

/** True if a flavour list includes a block-device-efi* flavour (DIB's test for the ESP extra). */
export function hasEfiFlavour(flavours: readonly string[]): boolean {
  return flavours.some((name) => name.includes('block-device-efi'));
}

/** Variables a block-device-size.d hook gets: IMAGE_SIZE in whole GiB (rounded up) and exact byte counts. */
export function sizeHookEnvironment(sizeBytes: number, treeBytes: number): Record<string, string> {
  return {
    IMAGE_SIZE: String(Math.ceil(sizeBytes / 1024 ** 3)),
    KILN_IMAGE_SIZE_BYTES: String(sizeBytes),
    KILN_TREE_SIZE: String(treeBytes),
  };
}

/**
 * Applies the `IMAGE_SIZE=<size>` lines hooks printed: the last one wins; a bare number is GiB
 * (the seed's unit), units are allowed (1500M, 2GiB); rounded up to 64 KiB. Returns `currentBytes`
 * if none was printed.
 */
export function applySizeHookOutput(lines: readonly string[], currentBytes: number, hook = 'block-device-size.d'): number {
  let bytes = currentBytes;
  for (const line of lines) {
    const match = /^\s*IMAGE_SIZE=(.*)$/.exec(line);
    if (!match) continue;
    const value = match[1]!.trim().replace(/^(["'])(.*)\1$/, '$2');
    const text = /^\d+(\.\d+)?$/.test(value) ? `${value}GiB` : value;
    const parsed = parseBytes(text, 'binary');
    if (parsed === undefined || parsed <= 0) {
      throw new UsageError(`${hook} printed IMAGE_SIZE=${value}, which is not a size`,
        'print a size such as IMAGE_SIZE=4 (GiB), IMAGE_SIZE=1500M or IMAGE_SIZE=2GiB');
    }
    // Kept a multiple of 64 KiB like the computed size (qemu-img, LP#1180021).
    bytes = Math.ceil(parsed / (64 * KIB)) * 64 * KIB;
  }
  return bytes;
}
