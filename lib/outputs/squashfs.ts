// mksquashfs command line for the squashfs output (pure).
import { TREE_EXCLUDES } from './tar.js';

/**
 * argv of `mksquashfs` writing `root` into `file`. The superblock's creation time is `epoch`
 * (SOURCE_DATE_EPOCH); file times are the tree's, already clamped to it by the normalisation
 * step, so unlike `-all-time` older files keep their own. Entries are always sorted by name and
 * `-reproducible` is the default since squashfs-tools 4.4.
 */
export function squashfsArgv(root: string, file: string, epoch: number): string[] {
  return [
    'mksquashfs', root, file, '-mkfs-time', String(epoch),
    // zstd rather than DIB's xz: similar size, several times faster to unpack at boot.
    '-comp', 'zstd',
    // -noappend: the partial file may exist from a killed earlier run; never add to it.
    '-noappend', '-xattrs',
    '-no-progress', '-quiet',
    // The recovery file would land in the user's HOME as root; the output is rewritten anyway.
    '-no-recovery',
    // -e takes the rest of the argv: keep it last. Patterns are relative to the root.
    '-wildcards', '-e', ...TREE_EXCLUDES,
  ];
}
