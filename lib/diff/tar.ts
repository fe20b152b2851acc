// tar archives for kiln-diff, header by header: ustar fields, GNU long names and every pax record
// (extended attributes, sparse maps and times included, which node-tar drops). Each member's
// content is hashed as it streams by.
import { createHash } from 'node:crypto';
import type { ChunkReader } from './blocks.js';
import type { Entry, Listing } from './listing.js';

const KINDS: Record<string, Entry['kind']> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

function field(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString('utf8');
}

/** A numeric header field: octal text, or GNU base-256 when the top bit is set. */
function number(block: Buffer, offset: number, length: number): number {
  if (block[offset]! & 0x80) {
    let value = 0;
    for (let i = offset + 1; i < offset + length; i++) value = value * 256 + block[i]!;
    return value;
  }
  const text = field(block, offset, length).trim();
  return text ? parseInt(text, 8) : 0;
}

/** pax records: `LENGTH key=value\n`. */
export function parsePax(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const length = Number(data.subarray(at, space).toString());
    if (!length) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return records;
}

const PADDED = (size: number): number => Math.ceil(size / 512) * 512;

/** Reads every member of the tar stream behind `reader`. */
export async function readTar(reader: ChunkReader, format: string): Promise<Listing> {
  const entries = new Map<string, Entry>();
  const headers: Record<string, string> = {};
  let pax: Record<string, string> = {};
  let global: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const block = await reader.read(512);
    if (block.length < 512 || block.every((b) => b === 0)) break;
    const type = String.fromCharCode(block[156]!);
    const size = number(block, 124, 12);
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      const data = (await reader.read(PADDED(size))).subarray(0, size);
      if (type === 'x') pax = parsePax(data);
      else if (type === 'g') {
        global = { ...global, ...parsePax(data) };
        for (const [k, v] of Object.entries(parsePax(data))) headers[`global ${k}`] = v;
      } else if (type === 'L') longName = field(data, 0, data.length);
      else longLink = field(data, 0, data.length);
      continue;
    }
    const records = { ...global, ...pax };
    const prefix = field(block, 345, 155);
    const name = (records.path ?? longName ?? (prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100))).replace(/(.)\/+$/, '$1');
    const kind = KINDS[type] ?? 'other';
    const meta: Record<string, string> = {
      mode: (number(block, 100, 8) & 0o7777).toString(8).padStart(4, '0'),
      uid: records.uid ?? String(number(block, 108, 8)),
      gid: records.gid ?? String(number(block, 116, 8)),
      owner: `${records.uname ?? field(block, 265, 32)}:${records.gname ?? field(block, 297, 32)}`,
      size: records.size ?? String(size),
    };
    const link = records.linkpath ?? longLink ?? field(block, 157, 100);
    if (kind === 'symlink' || kind === 'hardlink') meta.link = link;
    if (kind === 'char' || kind === 'block') meta.device = `${number(block, 329, 8)},${number(block, 337, 8)}`;
    if (kind === 'other') meta.type = type;
    const times: Record<string, number> = { mtime: records.mtime !== undefined ? Number(records.mtime) : number(block, 136, 12) };
    for (const key of ['atime', 'ctime'] as const) if (records[key] !== undefined) times[key] = Number(records[key]);
    for (const [key, value] of Object.entries(records)) {
      if (!['path', 'linkpath', 'uid', 'gid', 'uname', 'gname', 'size', 'mtime', 'atime', 'ctime'].includes(key)) meta[`pax ${key}`] = value;
    }
    const hash = createHash('sha256');
    await reader.pipe(size, (piece) => hash.update(piece));
    await reader.read(PADDED(size) - size);
    entries.set(name, { path: name, kind, meta, times, ...(kind === 'file' ? { digest: hash.digest('hex') } : {}) });
    pax = {};
    longName = undefined;
    longLink = undefined;
  }
  return { format, headers, timeHeaders: [], entries };
}
