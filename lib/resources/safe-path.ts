// Paths treated as hostile. Two rules: a host path (TMPDIR, -o, --image-cache, --logfile, a
// work folder) is resolved ONCE to its real absolute path before it is mounted on, compared with
// /proc/self/mountinfo (which only ever shows real paths) or deleted; and a path inside an image
// tree is resolved the way the image itself would see it, as if chrooted into the tree: an
// absolute symlink in the image means the image's own file, and `..` stops at the image's root,
// so nothing an image holds can make kiln's host-side work reach a host file.
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { KilnError, UsageError } from '../errors.js';

/** Symlinks followed in one lookup before giving up (the kernel's own limit, MAXSYMLINKS). */
const MAX_LINKS = 40;

/** A path inside an image cannot be resolved safely (a loop, a file used as a folder). */
export class UnsafePathError extends KilnError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 1, ...(hint === undefined ? {} : { hint }) });
  }
}

/**
 * The real absolute path of `path` (relative to `cwd`): symlinks resolved. A path that does not
 * exist yet is its deepest existing ancestor's real path plus the rest, so it can be resolved
 * before it is created.
 */
export function resolveHostPath(path: string, cwd = process.cwd()): string {
  const absolute = resolve(cwd, path);
  const missing: string[] = [];
  for (let current = absolute; ; current = dirname(current)) {
    try {
      return join(realpathSync(current), ...missing.reverse());
    } catch (error) {
      if (!isMissing(error) || current === dirname(current)) throw unusablePath(absolute, error);
      missing.push(basename(current));
    }
  }
}

/** The real path of the folder holding `path`, joined with its own name: a symlink at `path` itself is not followed. */
export function resolveParent(path: string, cwd = process.cwd()): string {
  const absolute = resolve(cwd, path);
  return join(resolveHostPath(dirname(absolute)), basename(absolute));
}

/** Whether `path` is `dir` or below it (both absolute and normalised; pure). */
export function isAtOrBelow(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
}

/** What to do with a symlink in the last component of a path inside an image. */
export interface InRootOptions {
  /** Follow a symlink in the final component (default true); false returns the link itself. */
  followFinal?: boolean;
}

/**
 * The host path of `pathInImage` in the image tree `root` (a real path), resolved as a process
 * chrooted into `root` would resolve it: symlinks are followed inside the tree, absolute link
 * targets start at `root`, `..` never climbs above it. Components that do not exist are kept
 * as written (the caller creates them). Throws UnsafePathError for a link loop or a file in
 * the middle of the path.
 */
export function resolveInRoot(root: string, pathInImage: string, options: InRootOptions = {}): string {
  const followFinal = options.followFinal ?? true;
  const resolved: string[] = [];
  const pending = components(pathInImage);
  let links = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const host = join(root, ...resolved, part);
    const kind = entryKind(host);
    if (kind === 'link' && (pending.length > 0 || followFinal)) {
      if (++links > MAX_LINKS) throw new UnsafePathError(`image path ${shown(pathInImage)}: too many levels of symbolic links (a loop?) at /${[...resolved, part].join('/')}`, 'fix the symlinks in the image');
      const target = readlinkSync(host);
      if (isAbsolute(target)) resolved.length = 0;
      pending.unshift(...components(target));
      continue;
    }
    if (kind === 'other' && pending.length > 0) {
      throw new UnsafePathError(`image path ${shown(pathInImage)}: /${[...resolved, part].join('/')} is not a folder`, 'fix the image: a file stands where a folder is expected');
    }
    resolved.push(part);
  }
  return join(root, ...resolved);
}

function components(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

function entryKind(path: string): 'missing' | 'dir' | 'link' | 'other' {
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return 'link';
    return stat.isDirectory() ? 'dir' : 'other';
  } catch (error) {
    if (isMissing(error)) return 'missing';
    throw error;
  }
}

/** A host path this user cannot look up (a folder on the way they may not enter, a link loop): bad input, said in one line. */
function unusablePath(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const why: Record<string, string> = { EACCES: 'permission denied', EPERM: 'permission denied', ELOOP: 'too many levels of symbolic links', ENAMETOOLONG: 'name too long' };
  if (code === undefined || !(code in why)) return error;
  return new UsageError(`${path}: ${why[code]} (${code}) while resolving it`, 'use a path whose folders this user may enter, or give this user access to them');
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function shown(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

/** Throws unless `path` goes through no symlink at all (its real path is itself). */
export function assertNoSymlinks(path: string, what: string): void {
  const real = realpathSync(path);
  if (real !== path) {
    throw new UnsafePathError(`refusing to ${what} ${path}: the path goes through a symlink (to ${real})`, 'this is a bug in kiln or a hostile image: kiln resolves every path before it mounts or writes');
  }
}

/** True if anything (a file, a folder, even a dangling link) is at `path`. */
export function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
