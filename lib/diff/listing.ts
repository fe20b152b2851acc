// The common form kiln-diff compares: whatever the format (tar, cpio, squashfs, a filesystem in
// a disk image), an output is a set of headers (format-level facts such as a filesystem's UUID
// or creation time) and entries by path (kind, owner, mode, times, link target, content digest,
// extended attributes). Comparing two listings gives differences, each classed as a time, a
// content, a metadata change or an entry on one side only. Pure.

/** One member of an archive or filesystem. */
export interface Entry {
  path: string;
  kind: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'socket' | 'other';
  /** Permission bits and the like, owners by number, size, link target, device numbers, xattrs... */
  meta: Record<string, string>;
  /** Times by name (mtime, ctime, atime, crtime) in seconds (fractions kept). */
  times: Record<string, number>;
  /** sha256 of the content (files), when read. */
  digest?: string;
}

/** One output, read. */
export interface Listing {
  /** `tar`, `cpio (zstd)`, `squashfs`, `ext4 on partition 1`, ... */
  format: string;
  headers: Record<string, string>;
  /** Headers that are times. */
  timeHeaders: string[];
  entries: Map<string, Entry>;
}

/** What differs. */
export interface Difference {
  /** `header`, or the entry's path. */
  where: string;
  field: string;
  a: string;
  b: string;
  kind: 'time' | 'content' | 'metadata' | 'only-in-a' | 'only-in-b';
}

/** A time for people: ISO 8601 UTC, fractions when there are any. */
function showTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const iso = new Date(Math.floor(seconds) * 1000).toISOString().replace('.000Z', 'Z');
  const fraction = seconds - Math.floor(seconds);
  return fraction ? iso.replace('Z', `${fraction.toFixed(9).slice(1)}Z`) : iso;
}

function compareEntry(a: Entry, b: Entry, out: Difference[]): void {
  const where = a.path;
  if (a.kind !== b.kind) {
    out.push({ where, field: 'kind', a: a.kind, b: b.kind, kind: 'metadata' });
    return;
  }
  for (const key of new Set([...Object.keys(a.meta), ...Object.keys(b.meta)])) {
    if (a.meta[key] !== b.meta[key]) out.push({ where, field: key, a: a.meta[key] ?? '(none)', b: b.meta[key] ?? '(none)', kind: 'metadata' });
  }
  for (const key of new Set([...Object.keys(a.times), ...Object.keys(b.times)])) {
    const x = a.times[key];
    const y = b.times[key];
    if (x !== y) out.push({ where, field: key, a: x === undefined ? '(none)' : showTime(x), b: y === undefined ? '(none)' : showTime(y), kind: 'time' });
  }
  if (a.digest !== b.digest) out.push({ where, field: 'content', a: a.digest ?? '(not read)', b: b.digest ?? '(not read)', kind: 'content' });
}

/** Every difference between two listings: headers first, then entries in path order. */
export function compareListings(a: Listing, b: Listing): Difference[] {
  const out: Difference[] = [];
  const timeHeaders = new Set([...a.timeHeaders, ...b.timeHeaders]);
  for (const key of new Set([...Object.keys(a.headers), ...Object.keys(b.headers)])) {
    if (a.headers[key] !== b.headers[key]) {
      out.push({ where: 'header', field: key, a: a.headers[key] ?? '(none)', b: b.headers[key] ?? '(none)', kind: timeHeaders.has(key) ? 'time' : 'metadata' });
    }
  }
  const paths = [...new Set([...a.entries.keys(), ...b.entries.keys()])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  for (const path of paths) {
    const x = a.entries.get(path);
    const y = b.entries.get(path);
    if (!y) out.push({ where: path, field: 'entry', a: x!.kind, b: '(absent)', kind: 'only-in-a' });
    else if (!x) out.push({ where: path, field: 'entry', a: '(absent)', b: y.kind, kind: 'only-in-b' });
    else compareEntry(x, y, out);
  }
  return out;
}

/** What the differences amount to, in one sentence. */
export function verdict(differences: readonly Difference[]): { timestampsOnly: boolean; text: string } {
  if (!differences.length) return { timestampsOnly: false, text: 'identical' };
  const counts = new Map<Difference['kind'], number>();
  for (const d of differences) counts.set(d.kind, (counts.get(d.kind) ?? 0) + 1);
  const entries = new Set(differences.filter((d) => d.where !== 'header').map((d) => d.where)).size;
  const timestampsOnly = [...counts.keys()].every((k) => k === 'time');
  if (timestampsOnly) {
    return {
      timestampsOnly,
      text: `timestamps only: ${counts.get('time')} times differ (${entries} entries); the same files with the same contents, owners and modes (a different SOURCE_DATE_EPOCH gives this)`,
    };
  }
  const parts = (['content', 'metadata', 'only-in-a', 'only-in-b', 'time'] as const)
    .filter((k) => counts.has(k))
    .map((k) => `${counts.get(k)} ${k === 'only-in-a' ? 'only in A' : k === 'only-in-b' ? 'only in B' : k}`);
  return { timestampsOnly, text: `different: ${parts.join(', ')} (${entries} entries)` };
}
