// Disk images for kiln-diff (raw, or qcow2 turned into a raw temporary file): the partition
// table (sfdisk --dump: label, disk id, each partition's place, type, GUID and name), the boot
// code outside the partitions, and per partition its filesystem: ext superblock fields
// (dumpe2fs -h) and every file of it mounted read-only, or, for a FAT ESP, a digest of its bytes.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from '../resources/disposable-stack.js';
import { filesystemAt } from '../image-read/detect.js';
import { mountVolume } from '../image-read/mount-volume.js';
import { openImage, readHead } from '../image-read/open-image.js';
import type { Listing } from './listing.js';
import { readTree } from './tree.js';

/** One part of a disk image, read: its listing and, for filesystems, where it is mounted. */
export interface ImagePart {
  /** `partition table`, `partition 1 (ext4)`, ... */
  name: string;
  listing: Listing;
  /** Mount point of a filesystem part (for reading nested archives). */
  mountPoint?: string;
}

/** sha256 of `length` bytes at `offset` of `file`. */
async function digestRange(file: string, offset: number, length: number): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let done = 0; done < length;) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, length - done), offset + done);
      if (!bytesRead) break;
      hash.update(buf.subarray(0, bytesRead));
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** `sfdisk --dump` lines as headers (the device names are the file's, so they are dropped). */
function tableHeaders(dump: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of dump.split('\n')) {
    const header = /^(label|label-id|first-lba|last-lba|table-length|sector-size): (.*)$/.exec(line);
    if (header) headers[header[1]!] = header[2]!;
    const part = /^\S+?(\d+) : (.*)$/.exec(line);
    if (part) headers[`partition ${part[1]!}`] = part[2]!.replace(/\s+/g, ' ');
  }
  return headers;
}

/** ext superblock fields worth comparing (`Key: value` of dumpe2fs -h), times marked. */
function superblockHeaders(text: string): { headers: Record<string, string>; times: string[] } {
  const headers: Record<string, string> = {};
  const times: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^([A-Z][^:]{2,40}):\s+(.*)$/.exec(line);
    // Checksums follow from the other fields (a changed time changes them): not a difference of their own.
    if (!match || /^(Journal|Group|Reserved GDT|Default directory|Checksum)/.test(match[1]!)) continue;
    headers[match[1]!] = match[2]!;
    if (/time|created|checked/i.test(match[1]!)) times.push(match[1]!);
  }
  return { headers, times };
}

/** Reads the parts of the disk image `file`; mounts are on `stack`. */
export async function readImage(stack: ResourceStack, file: string, log: LogSink): Promise<ImagePart[]> {
  const opened = await openImage(stack, file, { log });
  const raw = opened.raw;
  const dump = await run(['sfdisk', '--dump', raw], { log, allowFailure: true, what: `reading the partition table of ${file}` });
  const partitions = (await run(['sfdisk', '--json', raw], { log, allowFailure: true })).stdout;
  const parsed = partitions ? (JSON.parse(partitions) as { partitiontable?: { partitions?: { start: number; size: number }[] } }).partitiontable?.partitions ?? [] : [];
  const firstStart = Math.min(...parsed.map((p) => p.start * 512), 1 << 20);
  const parts: ImagePart[] = [{
    name: 'partition table and boot code',
    listing: {
      format: 'disk', timeHeaders: [], entries: new Map(),
      headers: { ...tableHeaders(dump.stdout), 'boot code (bytes 0-439)': await digestRange(raw, 0, 440), 'bytes before the first partition': await digestRange(raw, 512, firstStart - 512) },
    },
  }];
  for (const [index, p] of parsed.entries()) {
    const offset = p.start * 512;
    const size = p.size * 512;
    const head = await readHead(raw, offset);
    const fstype = filesystemAt(head);
    const name = `partition ${index + 1}`;
    const volume = opened.volumes.find((v) => v.offset === offset);
    if (!fstype || !volume) {
      const kind = head.subarray(82, 87).toString('latin1') === 'FAT32' || head.subarray(54, 57).toString('latin1') === 'FAT' ? 'FAT' : 'data';
      parts.push({ name: `${name} (${kind})`, listing: { format: kind, timeHeaders: [], entries: new Map(), headers: { bytes: await digestRange(raw, offset, size) } } });
      continue;
    }
    const mountPoint = await mountVolume(stack, raw, volume, log);
    const listing = await readTree(mountPoint, `${fstype} on ${name}`, ['mtime', 'ctime', 'crtime']);
    if (fstype === 'ext4') {
      const sb = superblockHeaders((await run(['dumpe2fs', '-h', `${raw}?offset=${offset}`], { log, allowFailure: true })).stdout);
      Object.assign(listing.headers, sb.headers);
      listing.timeHeaders.push(...sb.times);
    }
    parts.push({ name: `${name} (${fstype})`, listing, mountPoint });
  }
  return parts;
}
