// Recursive removal that cannot reach the host: the path is resolved once (a symlinked or
// relative TMPDIR must not hide the mounts below it, since /proc/self/mountinfo shows real
// paths), nothing is removed while anything below is still mounted, and the removal itself
// (`rm --one-file-system`) does not descend into another filesystem. Node's own recursive rm
// follows mount points, so kiln never uses it on a tree that was ever mounted into.
import { KilnError } from '../errors.js';
import { isRoot, run } from '../exec/run.js';
import { nullLog, type LogSink } from '../log.js';
import { mountsBelow } from './mount.js';
import { lexists, resolveParent } from './safe-path.js';

/** Something is still mounted below a tree kiln was about to remove. */
export class StillMountedError extends KilnError {
  constructor(readonly path: string, readonly mounts: string[]) {
    super(`not removing ${path}: ${mounts.join(', ')} ${mounts.length > 1 ? 'are' : 'is'} still mounted below it`, {
      hint: `unmount ${mounts.length > 1 ? 'them' : 'it'} (umount ${mounts[0]}), then remove ${path}`,
    });
  }
}

/**
 * Removes `path` (a folder with everything in it, or a file; a symlink is removed, never
 * followed); refuses while anything below it is mounted. Root-owned content is removed through
 * sudo when kiln is not root.
 */
export async function removeTree(path: string, log?: LogSink): Promise<void> {
  const real = resolveParent(path);
  if (!lexists(real)) return;
  const mounted = mountsBelow(real);
  if (mounted.length) throw new StillMountedError(real, mounted);
  const argv = ['rm', '-r', '-f', '--one-file-system', '--', real];
  if (!isRoot()) {
    // Most trees are the user's own: try without sudo first, quietly.
    const own = await run(argv, { log: nullLog, allowFailure: true });
    if (own.exitCode === 0 && !lexists(real)) return;
  }
  await run(argv, { privileged: true, log, what: `removing ${real}` });
}
