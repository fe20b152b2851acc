// Tree outputs: the finished image root as tar, tgz, tar.zst or squashfs. Owners, modes, hard
// links, symlinks, extended attributes (file capabilities), ACLs and the device nodes packages
// created are kept; the contents of proc, sys and dev/pts are not (the folders are). tar and
// mksquashfs run as root because the tree is root-owned.
import { InternalError, KilnError } from '../errors.js';
import { run } from '../exec/run.js';
import { haveTool } from '../exec/host-tools.js';
import type { LogSink } from '../log.js';
import { mountsBelow } from '../resources/mount.js';
import { outputFormat } from './registry.js';
import { writeAtomically } from './partial.js';
import { squashfsArgv } from './squashfs.js';
import { tarArgv, tarCompression, TREE_EXCLUDES } from './tar.js';

/** One tree output to write. */
export interface TreeOutputRequest {
  /** tar, tgz, tar.zst or squashfs. */
  format: string;
  /** The image root (root-owned). */
  root: string;
  /** Final file name (`NAME.tar.zst`). */
  path: string;
  log: LogSink;
  /** Aborting stops the tool (SIGTERM, then SIGKILL) and removes the partial file. */
  signal?: AbortSignal;
  /** Aborting kills the tool at once (second Ctrl-C). */
  forceSignal?: AbortSignal;
}

/** Mounts below `root` whose contents would leak host state into the archive (pure). */
export function kernelMountsIn(root: string, mountPoints: readonly string[]): string[] {
  const base = root.replace(/\/+$/, '');
  const guarded = ['dev', ...TREE_EXCLUDES.map((p) => p.replace(/\/\*$/, ''))].map((p) => `${base}/${p}`);
  return mountPoints.filter((m) => guarded.some((g) => m === g || m.startsWith(`${g}/`)));
}

/** Refuses to archive a root that still has /dev, /proc, /sys or the hook tree mounted. */
export function assertNothingMounted(root: string): void {
  const leaked = kernelMountsIn(root, mountsBelow(root));
  if (leaked.length) {
    throw new KilnError(`refusing to archive ${root}: ${leaked.join(', ')} still mounted (the output would contain the host's files)`, {
      hint: 'a hook left a mount behind; unmount it in the hook that created it',
    });
  }
}

/** Writes one tree output atomically; a failure or abort leaves no file behind. */
export async function writeTreeOutput(request: TreeOutputRequest): Promise<void> {
  const format = outputFormat(request.format);
  if (format.kind !== 'tree') throw new InternalError(`${request.format} is not a tree format`);
  assertNothingMounted(request.root);
  const { log, signal, forceSignal } = request;
  const what = `writing the ${format.name} output ${request.path}`;
  if (format.name === 'squashfs') {
    await writeAtomically(request.path, async (partial) => {
      await run(squashfsArgv(request.root, partial), { privileged: true, log, signal, forceSignal, what });
    }, { createdByRoot: true, log });
    return;
  }
  const argv = tarArgv(request.root, tarCompression(format.name, haveTool('pigz')));
  await writeAtomically(request.path, async (partial) => {
    // stdout goes to a file kiln opens itself, so the archive belongs to kiln's user, not root.
    await run(argv, { privileged: true, log, signal, forceSignal, what, stdoutFile: partial, label: 'tar' });
  }, { log });
}
