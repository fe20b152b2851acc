// Host tools a ramdisk build runs, for the engine's check before the build starts (pure).
import type { RamdiskCompression } from './archive.js';

/** Tool → why, for ToolNeeds.tools. busybox (sh -n of init fragments) falls back to bash; xz
 * and zstd decompress modules only when the image's kernel ships compressed ones. */
export function ramdiskTools(compression: RamdiskCompression): Map<string, string> {
  return new Map([
    ['cpio', 'to archive the ramdisk'],
    ['depmod', 'to index the ramdisk\'s kernel modules'],
    [compression === 'zstd' ? 'zstd' : 'gzip', `to compress the ramdisk (${compression})`],
  ]);
}
