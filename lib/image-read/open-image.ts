// Opening an image to read it: check that it is one, turn a qcow2 into a sparse raw temporary
// file (qemu-img convert: no nbd needed), and list its volumes, i.e. the partitions (or the
// whole file) that hold a filesystem kiln can mount read-only.
import { open, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UsageError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from '../resources/disposable-stack.js';
import { makeTempDir } from '../resources/temp-dir.js';
import { detectImage, filesystemAt, HEAD_BYTES, type FilesystemType, type ImageKind } from './detect.js';
import { candidatePartitions, readPartitions } from './partitions.js';
import { checkQemuImg } from './image-read-tools.js';

/** A filesystem inside a raw image. */
export interface Volume {
  /** For messages: `partition 2` or `the whole image`. */
  label: string;
  offset: number;
  size: number;
  fstype: FilesystemType;
}

/** An image ready to be read. */
export interface OpenedImage {
  /** The raw file to read (the image itself, or its raw conversion). */
  raw: string;
  /** What the user's file is. */
  kind: ImageKind;
  volumes: Volume[];
}

/** Options for opening. */
export interface OpenOptions {
  log: LogSink;
  signal?: AbortSignal | undefined;
  /** Folder for the raw conversion of a qcow2 (default $TMPDIR). */
  tmpParent?: string | undefined;
}

/** The first `length` bytes at `offset` of `file`. */
export async function readHead(file: string, offset = 0, length = HEAD_BYTES): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Checks that `image` is a readable regular file; a UsageError says what is wrong. */
async function checkReadable(image: string): Promise<number> {
  try {
    const s = await stat(image);
    if (!s.isFile()) throw new UsageError(`${image} is not a file`, 'give the path of a raw or qcow2 disk image');
    await readHead(image, 0, 1);
    return s.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${image} does not exist`, 'give the path of a raw or qcow2 disk image');
    if (code === 'EACCES') throw new UsageError(`${image} is not readable by this user`, 'fix its permissions, or run as its owner');
    throw error;
  }
}

/** Converts a qcow2 to a sparse raw temporary file (removed when `stack` unwinds). */
async function qcow2ToRaw(stack: ResourceStack, image: string, options: OpenOptions): Promise<string> {
  checkQemuImg();
  const dir = await makeTempDir(stack, 'image-read', options.tmpParent, options.log);
  const raw = join(dir, `${basename(image)}.raw`);
  await run(['qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', image, raw], {
    log: options.log, signal: options.signal, what: `qemu-img converting ${image} to raw`,
  });
  return raw;
}

/** Filesystems of a raw image: its partitions that hold one, or the whole file. */
async function volumesOf(raw: string, kind: ImageKind, size: number, options: OpenOptions): Promise<Volume[]> {
  if (kind.kind === 'filesystem') return [{ label: 'the whole image', offset: 0, size, fstype: kind.fstype }];
  if (kind.kind !== 'partitioned') return [];
  const volumes: Volume[] = [];
  for (const p of candidatePartitions(await readPartitions(raw, options.log, options.signal))) {
    const fstype = filesystemAt(await readHead(raw, p.start));
    if (fstype) volumes.push({ label: `partition ${p.number}`, offset: p.start, size: p.size, fstype });
  }
  return volumes;
}

/** Opens `image`; throws UsageError when it is no disk image. Tarballs are returned as such. */
export async function openImage(stack: ResourceStack, image: string, options: OpenOptions): Promise<OpenedImage> {
  const size = await checkReadable(image);
  const kind = detectImage(await readHead(image));
  if (kind.kind === 'unknown') {
    throw new UsageError(`${image} is not a disk image: it has no qcow2 header, partition table or ext4/XFS/btrfs filesystem`, 'give a raw or qcow2 disk image');
  }
  if (kind.kind === 'tarball') return { raw: image, kind, volumes: [] };
  if (kind.kind !== 'qcow2') return { raw: image, kind, volumes: await volumesOf(image, kind, size, options) };
  const raw = await qcow2ToRaw(stack, image, options);
  const rawKind = detectImage(await readHead(raw));
  return { raw, kind, volumes: await volumesOf(raw, rawKind, (await stat(raw)).size, options) };
}
