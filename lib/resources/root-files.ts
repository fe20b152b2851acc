// File operations inside an image tree, which is owned by root and untrusted: every path is
// given relative to the tree's root and resolved inside it at each call (safe-path.ts), as a
// process chrooted into the tree would see it, so a symlink the image or a hook put anywhere on
// the way (`etc -> /etc`, `resolv.conf -> /etc/shadow`) is followed inside the image, never to
// the host. As root the operations are plain fs calls that do not follow a final symlink; as an
// ordinary user they go through the few coreutils that sudoers.d/kiln allows.
import { constants, lstatSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isRoot, run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { lexists, resolveInRoot } from './safe-path.js';

/** An image tree and where its file operations log. */
export interface ImageTree {
  /** Real host path of the tree's root. */
  root: string;
  log?: LogSink | undefined;
}

/** Host path of `path` in the image; a final symlink is followed inside the image unless `link`. */
export function imagePath(tree: ImageTree, path: string, link = false): string {
  return resolveInRoot(tree.root, path, { followFinal: !link });
}

/** Writes `content` to `path` in the image (mode 0644 unless given); returns the host path written. */
export async function writeImageFile(tree: ImageTree, path: string, content: string, mode = 0o644): Promise<string> {
  await makeImageDir(tree, dirname(path));
  const host = imagePath(tree, path);
  if (isRoot()) {
    // O_NOFOLLOW: the last component was resolved a moment ago and must still not be a link.
    const handle = await open(host, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, mode);
    try {
      await handle.writeFile(content);
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
    return host;
  }
  // Node hands a child its stdin as a socket, which /dev/stdin cannot reopen: create the file
  // with its mode first, then fill it through tee's standard input.
  await run(['install', '-m', mode.toString(8), '/dev/null', host], { privileged: true, log: tree.log });
  await run(['tee', host], { privileged: true, input: content, log: tree.log, captureStdout: false });
  return host;
}

/** Copies the host file `source` to `path` in the image with `mode`. */
export async function installImageFile(tree: ImageTree, source: string, path: string, mode: number): Promise<void> {
  await makeImageDir(tree, dirname(path));
  const host = imagePath(tree, path, true);
  await removeImageFile(tree, path);
  await run(['install', '-m', mode.toString(8), source, host], { privileged: true, log: tree.log });
}

/** Makes `path` in the image a symlink to `target` (a path inside the image), replacing a file or link there. */
export async function linkImageFile(tree: ImageTree, target: string, path: string): Promise<void> {
  await makeImageDir(tree, dirname(path));
  await removeImageFile(tree, path);
  await run(['ln', '-s', '-T', target, imagePath(tree, path, true)], { privileged: true, log: tree.log });
}

/** Renames `from` to `to` inside the image; links are moved as links. */
export async function moveImageFile(tree: ImageTree, from: string, to: string): Promise<void> {
  const source = imagePath(tree, from, true);
  const target = imagePath(tree, to, true);
  if (isRoot()) return rename(source, target);
  await run(['mv', '-f', '-T', source, target], { privileged: true, log: tree.log });
}

/** Removes a file or link (not a folder) from the image; no-op if absent. */
export async function removeImageFile(tree: ImageTree, path: string): Promise<void> {
  const host = imagePath(tree, path, true);
  if (!lexists(host)) return;
  if (isRoot()) return rm(host, { force: true });
  await run(['rm', '-f', '--', host], { privileged: true, log: tree.log });
}

/** Creates a folder and its parents in the image; returns its host path. */
export async function makeImageDir(tree: ImageTree, path: string): Promise<string> {
  const host = imagePath(tree, path);
  await makeRootDir(host, tree.log);
  return host;
}

/** True if a file, folder or (even dangling) link exists at `path` in the image. */
export function imageEntryExists(tree: ImageTree, path: string): boolean {
  return lexists(imagePath(tree, path, true));
}

/** True if `path` in the image is a symlink. */
export function isImageSymlink(tree: ImageTree, path: string): boolean {
  try {
    return lstatSync(imagePath(tree, path, true)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Creates one of kiln's own root-owned folders (a work folder, a mount base) and its parents. */
export async function makeRootDir(path: string, log?: LogSink): Promise<void> {
  if (isRoot()) {
    await mkdir(path, { recursive: true });
    return;
  }
  await run(['mkdir', '-p', '--', path], { privileged: true, log });
}
