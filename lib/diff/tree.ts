// A folder (a mounted filesystem of a disk image, an unpacked squashfs) as a kiln-diff listing:
// every entry's kind, mode, owner, size, link target, device, extended attributes (getfattr) and
// content digest, plus the times the filesystem keeps. Links are never followed; the walk stays
// on the folder's filesystem.
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import type { Entry, Listing } from './listing.js';

function kindOf(s: Stats): Entry['kind'] {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'dir';
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isCharacterDevice()) return 'char';
  if (s.isBlockDevice()) return 'block';
  if (s.isFIFO()) return 'fifo';
  if (s.isSocket()) return 'socket';
  return 'other';
}

async function digestOf(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } catch {
    return '(unreadable)';
  }
}

/** `getfattr -R -d -m - -e hex` output: path → {name: hex value}. Paths are relative to the walk's root. */
function parseGetfattr(text: string, root: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    const file = /^# file: (.*)$/.exec(line);
    if (file) {
      const path = file[1]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
      const relative = path === root ? '.' : path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
      current = {};
      out.set(relative, current);
      continue;
    }
    const attr = /^([^=]+)=(.*)$/.exec(line);
    if (attr && current) current[attr[1]!] = attr[2]!;
  }
  return out;
}

/** Reads the folder `root`; `times` are the times to compare (an unpacked copy has only its mtimes). */
export async function readTree(root: string, format: string, times: readonly ('mtime' | 'ctime' | 'crtime')[]): Promise<Listing> {
  const entries = new Map<string, Entry>();
  const device = lstatSync(root).dev;
  const xattrs = await run(['getfattr', '--recursive', '--dump', '--match=-', '--encoding=hex', '--no-dereference', '--physical', '--absolute-names', root],
    { allowFailure: true, what: `reading extended attributes below ${root}` });
  const attributes = parseGetfattr(xattrs.stdout, root);
  const visit = async (relative: string): Promise<void> => {
    const path = relative === '.' ? root : join(root, relative);
    const s = lstatSync(path, { bigint: false });
    const kind = kindOf(s);
    const meta: Record<string, string> = { mode: (s.mode & 0o7777).toString(8).padStart(4, '0'), uid: String(s.uid), gid: String(s.gid) };
    if (kind === 'file') meta.size = String(s.size);
    if (kind === 'file' && s.nlink > 1) meta.links = String(s.nlink);
    if (kind === 'symlink') meta.link = readlinkSync(path);
    if (kind === 'char' || kind === 'block') meta.device = `${Math.floor(s.rdev / 256)},${s.rdev % 256}`;
    for (const [name, value] of Object.entries(attributes.get(relative) ?? {})) meta[`xattr ${name}`] = value;
    const all = { mtime: s.mtimeMs / 1000, ctime: s.ctimeMs / 1000, crtime: s.birthtimeMs / 1000 };
    const kept = Object.fromEntries(times.filter((t) => all[t] > 0).map((t) => [t, all[t]]));
    entries.set(relative, { path: relative, kind, meta, times: kept, ...(kind === 'file' ? { digest: await digestOf(path) } : {}) });
    if (kind !== 'dir' || s.dev !== device) return;
    for (const name of readdirSync(path).sort()) await visit(relative === '.' ? name : `${relative}/${name}`);
  };
  await visit('.');
  return { format, headers: {}, timeHeaders: [], entries };
}
