// File operations inside the image tree, which is owned by root. As root they are plain fs
// calls; as an ordinary user they go through the few coreutils that sudoers.d/kiln allows.
import { existsSync, lstatSync } from 'node:fs';
import { mkdir, rename, rm, writeFile, readFile } from 'node:fs/promises';
import { isRoot, run } from '../exec/run.js';
import type { LogSink } from '../log.js';

/** Writes `content` to `path` (mode 0644 unless given). */
export async function writeRootFile(path: string, content: string, mode = 0o644, log?: LogSink): Promise<void> {
  if (isRoot()) {
    await writeFile(path, content, { mode });
    return;
  }
  // Node hands a child its stdin as a socket, which /dev/stdin cannot reopen: create the file
  // with its mode first, then fill it through tee's standard input.
  await run(['install', '-m', mode.toString(8), '/dev/null', path], { privileged: true, log });
  await run(['tee', path], { privileged: true, input: content, log, captureStdout: false });
}

/** Renames `from` to `to`. */
export async function moveRootFile(from: string, to: string, log?: LogSink): Promise<void> {
  if (isRoot()) return rename(from, to);
  await run(['mv', '-f', from, to], { privileged: true, log });
}

/** Removes a file or link (not directories); no-op if absent. */
export async function removeRootFile(path: string, log?: LogSink): Promise<void> {
  if (!lexists(path)) return;
  if (isRoot()) return rm(path, { force: true });
  await run(['rm', '-f', path], { privileged: true, log });
}

/** Creates a directory and its parents. */
export async function makeRootDir(path: string, log?: LogSink): Promise<void> {
  if (isRoot()) {
    await mkdir(path, { recursive: true });
    return;
  }
  await run(['mkdir', '-p', path], { privileged: true, log });
}

/** Reads a file in the tree (the tree is world-readable where it matters). */
export async function readRootFile(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

/** True if a file, directory or (even dangling) symlink exists at `path`. */
export function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return existsSync(path);
  }
}
