// The ramdisk tree while it is assembled: a folder kiln owns (no root needed), filled with files
// copied from the image root at the same paths. Links are recreated as they are, so the tree
// keeps the image's layout (/bin -> usr/bin on merged-/usr Debian) and the loader finds its
// libraries where the programs expect them. A file the current user cannot read (a 0600 kernel
// module on some distributions) is copied through `sudo install`, handing it to this user.
import { copyFile, chmod, lstat, lutimes, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { isRoot, run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { RootLink } from './root-view.js';

/** Top-level names that merged-/usr systems make links; copied as links when they are. */
export const MERGED_USR_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'] as const;

/** True if something (even a dangling link) is at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes an in-tree path's host path (pure). */
export function inTree(tree: string, path: string): string {
  return posix.join(tree, path);
}

/** Recreates `links` in `tree` (skipping names that already exist). */
export async function writeLinks(tree: string, links: readonly RootLink[]): Promise<void> {
  for (const link of links) {
    const at = inTree(tree, link.path);
    if (await exists(at)) continue;
    await mkdir(posix.dirname(at), { recursive: true });
    await symlink(link.target, at);
  }
}

/** Copies `path` from the image root to the same path in `tree`, keeping the permission bits. */
export async function copyFromRoot(root: string, tree: string, path: string, mode: number, log?: LogSink): Promise<void> {
  await copyReadable(inTree(root, path), inTree(tree, path), mode, log);
}

/** Copies `from` to `to` (a file this user owns afterwards), through sudo if only root can read it. */
export async function copyReadable(from: string, to: string, mode: number, log?: LogSink): Promise<void> {
  await mkdir(posix.dirname(to), { recursive: true });
  try {
    await copyFile(from, to);
    await chmod(to, mode);
  } catch (error) {
    if (isRoot() || (error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
    const owner = `${process.getuid?.() ?? 0}`;
    const group = `${process.getgid?.() ?? 0}`;
    await run(['install', '-m', mode.toString(8), '-o', owner, '-g', group, from, to], { privileged: true, log, what: `copying ${from} (readable only by root)` });
  }
}

/** Writes a file of kiln's own into the tree. */
export async function writeTreeFile(tree: string, path: string, content: string, mode: number): Promise<void> {
  const to = inTree(tree, path);
  await mkdir(posix.dirname(to), { recursive: true });
  await writeFile(to, content, { mode });
  await chmod(to, mode);
}

/** Every entry below `tree` as a relative path, parents before children, in byte order. */
export async function listTree(tree: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(inTree(tree, rel))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const child = rel === '.' ? name : `${rel}/${name}`;
      out.push(child);
      const stat = await lstat(inTree(tree, child));
      if (stat.isDirectory()) await walk(child);
    }
  };
  await walk('.');
  return out;
}

/** Sets every entry's times to `epochSeconds`, so that the archive is the same on every build. */
export async function pinTimes(tree: string, entries: readonly string[], epochSeconds: number): Promise<void> {
  // Children first: changing an entry never touches its own times, but do folders last anyway.
  for (const rel of [...entries].reverse()) await lutimes(inTree(tree, rel), epochSeconds, epochSeconds);
  await lutimes(tree, epochSeconds, epochSeconds);
}
