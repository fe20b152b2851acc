// Clamping a tree's modification times to SOURCE_DATE_EPOCH (what reproducible-builds.org asks
// of archivers), as root in the tree: find -newermt picks only what is newer, touch -h changes
// symbolic links themselves, never their targets.
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { clampFindArgs } from './normalise.js';

/** Sets every modification time below `root` later than `epoch` to `epoch`. */
export async function clampTimes(root: string, epoch: number, options: { log?: LogSink | undefined; signal?: AbortSignal | undefined } = {}): Promise<void> {
  await run(clampFindArgs(epoch), {
    privileged: true, cwd: root, log: options.log, signal: options.signal,
    what: `clamping the times in ${root} to SOURCE_DATE_EPOCH ${epoch}`,
  });
}
