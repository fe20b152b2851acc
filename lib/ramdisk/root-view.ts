// A read-only view of an image root, addressed by absolute paths as seen from inside the root.
// Symbolic links are resolved within the root: an absolute link target means the root's `/`,
// never the host's, and `..` stops at the root. The resolution code takes the view as a
// parameter, so it is pure over an in-memory view in unit tests and real over a folder in use.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';

/** Kind and permission bits of a path, without following a final link. */
export interface RootStat {
  kind: 'file' | 'dir' | 'link' | 'other';
  /** Permission bits (mode & 0o7777). */
  mode: number;
}

/** What the resolution code may ask of an image root. */
export interface RootView {
  stat(path: string): RootStat | undefined;
  readlink(path: string): string;
  read(path: string): Buffer;
  list(path: string): string[];
}

/** A symbolic link to recreate: where it is (its folder already resolved) and what it says. */
export interface RootLink {
  path: string;
  target: string;
}

/** Where a path leads inside the root. */
export interface Resolved {
  /** The path with every link resolved. */
  path: string;
  stat: RootStat;
  /** The links passed on the way, in the order they were met. */
  links: RootLink[];
}

/** Too many links on the way (a loop). */
export class LinkLoopError extends Error {}

const MAX_LINKS = 40;

/** Follows `path` inside the root through every link; undefined if it leads nowhere. */
export function resolveInRoot(view: RootView, path: string): Resolved | undefined {
  const pending = posix.normalize(path).split('/').filter(Boolean);
  const links: RootLink[] = [];
  let current = '/';
  let stat: RootStat = { kind: 'dir', mode: 0o755 };
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      current = posix.dirname(current);
      stat = view.stat(current) ?? stat;
      continue;
    }
    if (stat.kind !== 'dir') return undefined;
    const next = posix.join(current, part);
    const found = view.stat(next);
    if (!found) return undefined;
    if (found.kind === 'link') {
      if (links.length >= MAX_LINKS) throw new LinkLoopError(`too many levels of symbolic links resolving ${path}`);
      const target = view.readlink(next);
      links.push({ path: next, target });
      if (target.startsWith('/')) current = '/';
      pending.unshift(...target.split('/').filter(Boolean));
      stat = view.stat(current)!;
      continue;
    }
    current = next;
    stat = found;
  }
  return { path: current, stat, links };
}

/** A view of the folder `rootDir` on this machine. */
export function diskRootView(rootDir: string): RootView {
  const host = (path: string): string => posix.join(rootDir, path);
  return {
    stat(path) {
      try {
        const s = lstatSync(host(path));
        const kind = s.isSymbolicLink() ? 'link' : s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
        return { kind, mode: s.mode & 0o7777 };
      } catch {
        return undefined;
      }
    },
    readlink: (path) => readlinkSync(host(path)),
    read: (path) => readFileSync(host(path)),
    list: (path) => readdirSync(host(path)),
  };
}

/** Folders searched for programs inside the image, in the chroot's PATH order. */
export const ROOT_PATH_DIRS: readonly string[] = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The first executable regular file called `name` on the root's PATH, as its PATH path. */
export function findProgram(view: RootView, name: string, dirs: readonly string[] = ROOT_PATH_DIRS): string | undefined {
  for (const dir of dirs) {
    const candidate = posix.join(dir, name);
    const resolved = resolveInRoot(view, candidate);
    if (resolved?.stat.kind === 'file' && (resolved.stat.mode & 0o111) !== 0) return candidate;
  }
  return undefined;
}
