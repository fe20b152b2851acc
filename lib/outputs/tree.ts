// Tree outputs: the finished image root as tar, tgz, tar.zst or squashfs. Owners, modes, hard
// links, symlinks, extended attributes (file capabilities) and device nodes are kept; the
// contents of proc, sys and dev/pts are not (the folders are). Written under a temporary name
// and renamed when complete, so an output never exists half-written.
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isRoot, run } from '../exec/run.js';
import type { LogSink } from '../log.js';

/** One tree output to write. */
export interface TreeOutputRequest {
  format: string;
  root: string;
  path: string;
  log: LogSink;
  signal?: AbortSignal;
}

/** Patterns excluded from archives (relative to the root). */
export const TREE_EXCLUDES = ['./proc/*', './sys/*', './dev/pts/*', './tmp/in_target.d'];

/** The argv that writes `format` from `root` into `file` (pure). */
export function treeCommand(format: string, root: string, file: string): string[] {
  if (format === 'squashfs') {
    return ['mksquashfs', root, file, '-noappend', '-comp', 'zstd', '-xattrs', '-quiet', '-wildcards', '-e', 'proc/*', 'sys/*', 'dev/pts/*', 'tmp/in_target.d'];
  }
  const compress: Record<string, string[]> = {
    tar: [],
    tgz: ['--use-compress-program=pigz -9'],
    'tar.zst': ['--use-compress-program=zstd -T0 -3'],
  };
  const tarFlags = ['--xattrs', '--xattrs-include=*', '--acls', '--numeric-owner', '--sparse', ...TREE_EXCLUDES.map((e) => `--exclude=${e}`)];
  return ['tar', ...tarFlags, ...(compress[format] ?? []), '-C', root, '-cf', file, '.'];
}

/** Writes one tree output atomically; a failure or abort leaves no file behind. */
export async function writeTreeOutput(request: TreeOutputRequest): Promise<void> {
  const partial = join(dirname(request.path), `.${basename(request.path)}.kiln-partial`);
  try {
    const argv = treeCommand(request.format, request.root, partial);
    if (request.format === 'tgz' && !existsSync('/usr/bin/pigz')) argv.splice(argv.indexOf('--use-compress-program=pigz -9'), 1, '--use-compress-program=gzip -9');
    await run(argv, { privileged: true, log: request.log, signal: request.signal, what: `writing the ${request.format} output` });
    if (!isRoot()) await run(['chown', `${process.getuid!()}:${process.getgid!()}`, partial], { privileged: true, log: request.log });
    await rename(partial, request.path);
  } finally {
    if (existsSync(partial)) await rm(partial, { force: true }).catch(() => run(['rm', '-f', partial], { privileged: true, allowFailure: true }));
  }
}
