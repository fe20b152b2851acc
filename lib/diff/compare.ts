// kiln-diff's comparison: two outputs of one kind (tar, tgz, tar.zst, squashfs, raw, qcow2 and
// the other disk formats, an initramfs, a kernel, kiln's JSON files), read into listings and
// compared header by header and file by file. An initramfs inside a disk image (/boot/initrd.img-*)
// whose bytes differ is opened and compared too, so a difference in its members' times reads as
// what it is. Identical files are recognised from their bytes first.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from '../resources/disposable-stack.js';
import { makeTempDir } from '../resources/temp-dir.js';
import { detectImage } from '../image-read/detect.js';
import { readHead } from '../image-read/open-image.js';
import { ChunkReader } from './blocks.js';
import { compressionOf, readInitramfs } from './cpio.js';
import { readImage, type ImagePart } from './image.js';
import { compareListings, verdict, type Difference, type Listing } from './listing.js';
import { readSquashfs } from './squashfs.js';
import { readTar } from './tar.js';

/** One part of the comparison (the archive, a partition, a nested initramfs) and its differences. */
export interface Section {
  title: string;
  differences: Difference[];
}

/** The outcome of comparing two outputs. */
export interface DiffReport {
  a: string;
  b: string;
  kind: string;
  identical: boolean;
  sections: Section[];
  timestampsOnly: boolean;
  verdict: string;
}

/** Kinds of output kiln-diff reads. */
export type OutputKind = 'disk' | 'tar' | 'cpio' | 'squashfs' | 'json' | 'bytes';

async function sameBytes(a: string, b: string): Promise<boolean> {
  if ((await stat(a)).size !== (await stat(b)).size) return false;
  const left = createReadStream(a, { highWaterMark: 1 << 20 })[Symbol.asyncIterator]();
  const right = createReadStream(b, { highWaterMark: 1 << 20 })[Symbol.asyncIterator]();
  let x: Buffer = Buffer.alloc(0);
  let y: Buffer = Buffer.alloc(0);
  for (;;) {
    if (!x.length) x = ((await left.next()).value as Buffer | undefined) ?? Buffer.alloc(0);
    if (!y.length) y = ((await right.next()).value as Buffer | undefined) ?? Buffer.alloc(0);
    if (!x.length || !y.length) return !x.length && !y.length;
    const n = Math.min(x.length, y.length);
    if (!x.subarray(0, n).equals(y.subarray(0, n))) return false;
    x = x.subarray(n);
    y = y.subarray(n);
  }
}

/** The kind of the (uncompressed) data starting with `head`. */
export function kindOf(head: Buffer, name: string): OutputKind {
  if (head.subarray(0, 4).toString('latin1') === 'hsqs') return 'squashfs';
  if (compressionOf(head) === 'cpio') return 'cpio';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  const image = detectImage(head);
  if (image.kind === 'qcow2' || image.kind === 'partitioned' || image.kind === 'filesystem') return 'disk';
  if (/\.json$/.test(name) && /^\s*[{[]/.test(head.subarray(0, 64).toString('utf8'))) return 'json';
  return 'bytes';
}

/** The uncompressed form of `file` (itself when not compressed) and what compressed it. */
async function uncompressed(stack: ResourceStack, file: string, log: LogSink): Promise<{ path: string; compression: string }> {
  const head = await readHead(file, 0, 8);
  const kind = compressionOf(head);
  if (kind !== 'zstd' && kind !== 'gzip' && kind !== 'xz') return { path: file, compression: 'none' };
  const dir = await makeTempDir(stack, 'diff', undefined, log);
  const out = join(dir, 'data');
  await run([kind === 'gzip' ? 'gzip' : kind, '-d', '-c', file], { stdoutFile: out, log, what: `decompressing ${file}` });
  return { path: out, compression: kind };
}

function flatten(value: unknown, prefix: string, out: Record<string, string>): void {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = JSON.stringify(value);
  }
}

async function jsonListing(file: string): Promise<Listing> {
  const headers: Record<string, string> = {};
  flatten(JSON.parse(await readFile(file, 'utf8')), '', headers);
  const times = Object.keys(headers).filter((k) => /timestamp|created|sourceDateEpoch|source-date-epoch/i.test(k));
  return { format: 'json', headers, timeHeaders: times, entries: new Map() };
}

async function listingOf(stack: ResourceStack, kind: OutputKind, file: string, log: LogSink): Promise<Listing> {
  switch (kind) {
    case 'tar':
      return readTar(ChunkReader.open(file, false), 'tar');
    case 'cpio':
      return readInitramfs(await readFile(file));
    case 'squashfs':
      return readSquashfs(stack, file, log);
    case 'json':
      return jsonListing(file);
    default:
      return { format: 'bytes', headers: {}, timeHeaders: [], entries: new Map() };
  }
}

const NESTED = /(^|\/)(initrd\.img|initramfs)[^/]*$/;

/** Compares the disk images' parts, opening initramfs files whose bytes differ. */
async function diffDisks(stack: ResourceStack, a: string, b: string, log: LogSink): Promise<Section[]> {
  const left = await readImage(stack, a, log);
  const right = await readImage(stack, b, log);
  const sections: Section[] = [];
  const names = [...new Set([...left.map((p) => p.name), ...right.map((p) => p.name)])];
  for (const name of names) {
    const x = left.find((p) => p.name === name);
    const y = right.find((p) => p.name === name);
    if (!x || !y) {
      sections.push({ title: name, differences: [{ where: 'header', field: 'part', a: x ? 'present' : '(absent)', b: y ? 'present' : '(absent)', kind: x ? 'only-in-a' : 'only-in-b' }] });
      continue;
    }
    const read = (part: ImagePart) => (path: string) => readFile(join(part.mountPoint!, path));
    const differences = compareListings(x.listing, y.listing);
    sections.push(...(x.mountPoint && y.mountPoint ? await withNested(x.name, differences, read(x), read(y)) : [{ title: x.name, differences }]));
  }
  return sections;
}

/**
 * Opens the initramfs files among `differences` whose content differs and compares their
 * members: when those differ, the file's own content and size differences are explained by
 * them and make way for a section of their own.
 */
async function withNested(title: string, differences: Difference[], readA: (path: string) => Promise<Buffer>, readB: (path: string) => Promise<Buffer>): Promise<Section[]> {
  const nested: Section[] = [];
  const explained = new Set<string>();
  for (const d of differences.filter((d) => d.field === 'content' && NESTED.test(d.where))) {
    const inner = compareListings(await readInitramfs(await readA(d.where)), await readInitramfs(await readB(d.where)));
    if (!inner.length) continue;
    nested.push({ title: `${title}: /${d.where.replace(/^\.\//, '')} (initramfs)`, differences: inner });
    explained.add(d.where);
  }
  const kept = differences.filter((d) => !(explained.has(d.where) && (d.field === 'content' || d.field === 'size')));
  return [{ title, differences: kept }, ...nested];
}

/** A tar member's bytes (GNU tar writes it to a temporary file). */
async function tarMember(stack: ResourceStack, tar: string, member: string, log: LogSink): Promise<Buffer> {
  const dir = await makeTempDir(stack, 'diff', undefined, log);
  const out = join(dir, 'member');
  await run(['tar', '--extract', '--to-stdout', '--file', tar, '--', member], { stdoutFile: out, log, what: `reading ${member} from ${tar}` });
  return readFile(out);
}

/** Compares the outputs `a` and `b`. */
export async function diffOutputs(stack: ResourceStack, a: string, b: string, log: LogSink): Promise<DiffReport> {
  for (const file of [a, b]) {
    const s = await stat(file).catch(() => undefined);
    if (!s?.isFile()) throw new UsageError(`${file} is not a file`, 'give two outputs of kiln (tar, squashfs, raw, qcow2, initramfs, ...)');
  }
  if (await sameBytes(a, b)) return { a, b, kind: 'bytes', identical: true, sections: [], timestampsOnly: false, verdict: 'identical' };
  const ua = await uncompressed(stack, a, log);
  const ub = await uncompressed(stack, b, log);
  const kind = kindOf(await readHead(ua.path), a);
  const other = kindOf(await readHead(ub.path), b);
  if (kind !== other) throw new UsageError(`${a} is ${kind} but ${b} is ${other}`, 'compare two outputs of the same format');
  let sections: Section[];
  const title = `${kind}${ua.compression === 'none' ? '' : ` (${ua.compression})`}`;
  if (kind === 'disk') sections = await diffDisks(stack, a, b, log);
  else if (kind === 'tar') {
    const differences = compareListings(await listingOf(stack, kind, ua.path, log), await listingOf(stack, kind, ub.path, log));
    sections = await withNested(title, differences, (m) => tarMember(stack, ua.path, m, log), (m) => tarMember(stack, ub.path, m, log));
  } else {
    sections = [{ title, differences: compareListings(await listingOf(stack, kind, ua.path, log), await listingOf(stack, kind, ub.path, log)) }];
  }
  const all = sections.flatMap((s) => s.differences);
  if (!all.length) {
    // Same members and headers, different bytes: compression, member order or block layout.
    all.push({ where: 'header', field: 'bytes', a: 'differ', b: 'differ', kind: 'content' });
    sections.push({ title: 'file bytes', differences: [all[0]!] });
  }
  const outcome = verdict(all);
  return { a, b, kind, identical: false, sections, timestampsOnly: outcome.timestampsOnly, verdict: outcome.text };
}
