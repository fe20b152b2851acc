// An in-memory image root for the pure resolution code: files, links and folders from an
// object literal; parent folders are implied.
import { posix } from 'node:path';
import type { RootStat, RootView } from '../../../lib/ramdisk/root-view.js';

/** One entry: file contents (mode 0755), a link, a folder, or a file with a mode. */
export type MemoryEntry = string | Buffer | { link: string } | { dir: true } | { data: string | Buffer; mode: number };

/** A RootView over `entries` (absolute paths). */
export function memoryView(entries: Record<string, MemoryEntry>): RootView {
  const nodes = new Map<string, MemoryEntry>([['/', { dir: true }]]);
  for (const [path, entry] of Object.entries(entries)) {
    for (let dir = posix.dirname(path); dir !== '/'; dir = posix.dirname(dir)) if (!nodes.has(dir)) nodes.set(dir, { dir: true });
    nodes.set(path, entry);
  }
  const statOf = (entry: MemoryEntry): RootStat => {
    if (typeof entry === 'string' || Buffer.isBuffer(entry)) return { kind: 'file', mode: 0o755 };
    if ('link' in entry) return { kind: 'link', mode: 0o777 };
    if ('dir' in entry) return { kind: 'dir', mode: 0o755 };
    return { kind: 'file', mode: entry.mode };
  };
  return {
    stat: (path) => {
      const entry = nodes.get(path);
      return entry === undefined ? undefined : statOf(entry);
    },
    readlink: (path) => {
      const entry = nodes.get(path);
      if (entry && typeof entry === 'object' && 'link' in entry) return entry.link;
      throw new Error(`EINVAL: ${path} is not a link`);
    },
    read: (path) => {
      const entry = nodes.get(path);
      if (typeof entry === 'string') return Buffer.from(entry);
      if (Buffer.isBuffer(entry)) return entry;
      if (entry && 'data' in entry) return Buffer.from(entry.data);
      throw new Error(`EISDIR or ENOENT: ${path}`);
    },
    list: (path) => {
      const prefix = path === '/' ? '/' : `${path}/`;
      return [...nodes.keys()].filter((p) => p !== '/' && p.startsWith(prefix) && !p.slice(prefix.length).includes('/')).map((p) => p.slice(prefix.length));
    },
  };
}
