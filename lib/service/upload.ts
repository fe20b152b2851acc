// Flavours uploaded with a submission: a tar.gz of flavour folders. It is checked completely
// before anything is written (size after decompression, entry count, entry types, every path
// and link target inside the archive), then unpacked with ownership dropped and no set-id or
// group/other-writable modes.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { posix, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { t, x, type ReadEntry } from 'tar';
import { FieldError } from './submission.js';

/** Limits of an upload. */
export interface UploadLimits {
  /** Bytes after decompression. */
  maxUnpackedBytes: number;
  maxEntries: number;
}

/** Default limits: 64 MiB unpacked, 10,000 entries. */
const UPLOAD_LIMITS: UploadLimits = { maxUnpackedBytes: 64 * 1024 * 1024, maxEntries: 10_000 };

const FLAVOUR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function decompress(base64: string, limits: UploadLimits): Buffer {
  const packed = Buffer.from(base64, 'base64');
  try {
    return gunzipSync(packed, { maxOutputLength: limits.maxUnpackedBytes });
  } catch (error) {
    if (error instanceof RangeError) throw new FieldError('upload', `unpacks to more than ${limits.maxUnpackedBytes} bytes`, 'upload only the flavours the build needs');
    throw new FieldError('upload', 'is not a gzip-compressed tar archive (base64-encoded)', 'make it with `tar czf - FLAVOUR... | base64 -w0`');
  }
}

/** Why an entry may not be unpacked, or undefined when it is fine. */
export function entryProblem(path: string, type: string, linkpath: string | undefined): string | undefined {
  const clean = posix.normalize(path).replace(/\/+$/, '');
  if (path.startsWith('/') || clean.split('/').includes('..') || clean === '.' || clean === '') return 'a path outside the archive';
  const [top, ...rest] = clean.split('/');
  if (!FLAVOUR_NAME.test(top!)) return `"${top}" is not a flavour name`;
  if (rest.length === 0 && type !== 'Directory') return 'a file outside any flavour folder';
  if (type === 'SymbolicLink') {
    const target = posix.normalize(posix.join(posix.dirname(clean), linkpath ?? ''));
    if ((linkpath ?? '').startsWith('/') || target.startsWith('../') || target === '..') return `a link pointing out of the archive (${linkpath})`;
    return undefined;
  }
  if (type !== 'File' && type !== 'OldFile' && type !== 'Directory') return `a ${type} entry (only files, folders and links inside the archive are allowed)`;
  return undefined;
}

function checkEntries(archive: Buffer, limits: UploadLimits): string[] {
  const flavours = new Set<string>();
  let entries = 0;
  let problem: string | undefined;
  const parser = t({
    sync: true,
    onReadEntry: (entry: ReadEntry) => {
      entries++;
      const why = entryProblem(entry.path, entry.type, entry.linkpath);
      if (why && !problem) problem = `entry "${entry.path}" is ${why}`;
      flavours.add(posix.normalize(entry.path).split('/')[0]!);
    },
  });
  parser.end(archive);
  if (problem) throw new FieldError('upload', problem);
  if (entries > limits.maxEntries) throw new FieldError('upload', `has ${entries} entries, more than ${limits.maxEntries}`);
  if (entries === 0) throw new FieldError('upload', 'is an empty archive');
  return [...flavours].sort();
}

/** Checks an upload without writing anything; returns the flavour names it holds. */
export function checkUpload(base64: string, limits: UploadLimits = UPLOAD_LIMITS): string[] {
  return checkEntries(decompress(base64, limits), limits);
}

function tightenModes(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) continue;
    chmodSync(path, stat.mode & 0o755);
    if (stat.isDirectory()) tightenModes(path);
  }
}

/** Unpacks an upload into `dest` (created); returns the flavour names. */
export function unpackUpload(base64: string, dest: string, limits: UploadLimits = UPLOAD_LIMITS): string[] {
  const archive = decompress(base64, limits);
  const flavours = checkEntries(archive, limits);
  mkdirSync(dest, { recursive: true });
  const extract = x({ cwd: dest, sync: true, strict: true, preserveOwner: false, preservePaths: false });
  extract.end(archive);
  tightenModes(dest);
  return flavours;
}
