// The image kiln-write-disk writes: its format and virtual size (qemu-img info), checked before
// anything is written, because qemu-img reads past the end of a truncated file as zeros instead of
// failing: `qemu-img check` where the format has one, every data extent `qemu-img map` lists must
// lie inside the file, the file name's extension must match the format qemu-img reads (a fixed
// VHD, whose only footer qemu-img's guess misses, is opened as one; cut short, it has lost that
// footer and reads as raw), and a NAME.sha256 beside the image (kiln's --checksum) must match.
// Formats other than raw are converted to a sparse raw file first.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { KilnError, UsageError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { hashFile } from '../outputs/checksum.js';
import type { ResourceStack } from '../resources/disposable-stack.js';
import { makeTempDir } from '../resources/temp-dir.js';

/** An image and what qemu-img says it is. */
export interface SourceImage {
  path: string;
  /** qemu-img's format name (raw, qcow2, vpc, vmdk, vdi, vhdx). */
  format: string;
  /** Bytes of the disk it holds. */
  virtualSize: number;
}

/** The qemu-img format a file name promises (pure); undefined: no promise. */
export function formatOfExtension(path: string): string | undefined {
  const formats: Record<string, string> = { '.qcow2': 'qcow2', '.raw': 'raw', '.img': 'raw', '.vhd': 'vpc', '.vhdx': 'vhdx', '.vmdk': 'vmdk', '.vdi': 'vdi' };
  return formats[extname(path).toLowerCase()];
}

/** One extent of `qemu-img map --output=json`. */
export interface MapExtent {
  start: number;
  length: number;
  data: boolean;
  offset?: number;
}

/** Extents whose data lies past the end of a file of `fileSize` bytes (pure): the file was cut short. */
export function extentsPastEnd(extents: readonly MapExtent[], fileSize: number): MapExtent[] {
  return extents.filter((e) => e.data && e.offset !== undefined && e.offset + e.length > fileSize);
}

const FORMATS_WITH_CHECK = new Set(['qcow2', 'qed', 'vdi', 'vhdx', 'parallels']);

function damaged(image: string, why: string): KilnError {
  return new KilnError(`${image} is damaged: ${why}; nothing was written`, { exitCode: 1, hint: 'copy or download the image again (a transfer that stopped early leaves a truncated file)' });
}

async function checkStructure(image: SourceImage, log: LogSink, signal?: AbortSignal): Promise<void> {
  if (FORMATS_WITH_CHECK.has(image.format)) {
    const check = await run(['qemu-img', 'check', '-f', image.format, image.path], { log, signal, allowFailure: true, what: `checking ${image.path}` });
    // 0: clean; 3: only leaked clusters (harmless); 2: corruptions; 1: the check itself failed.
    if (check.exitCode !== 0 && check.exitCode !== 3) throw damaged(image.path, `qemu-img check found errors (${check.tail.slice(-3).join('; ')})`);
  }
  if (image.format === 'raw') return;
  const map = await run(['qemu-img', 'map', '--output=json', '-f', image.format, image.path], { log, signal, captureStdout: true, what: `mapping ${image.path}` });
  const past = extentsPastEnd(JSON.parse(map.stdout) as MapExtent[], statSync(image.path).size);
  if (past.length) throw damaged(image.path, `its data for disk bytes ${past[0]!.start}-${past[0]!.start + past[0]!.length} lies past the end of the file (truncated)`);
}

async function checkChecksumFile(path: string, log: LogSink, signal?: AbortSignal): Promise<void> {
  const file = `${path}.sha256`;
  if (!existsSync(file)) return;
  const expected = /^\\?([0-9a-f]{64})\s/.exec(readFileSync(file, 'utf8'))?.[1];
  if (!expected) throw new UsageError(`${file} is not a sha256sum line`, `remove it or write it with: sha256sum ${basename(path)} > ${file}`);
  const actual = (await hashFile(path, signal)).sha256;
  log.line('write-disk', `${path}: sha256 ${actual}, ${file} says ${expected}`);
  if (actual !== expected) throw damaged(path, `its sha256 is ${actual} but ${basename(file)} says ${expected}`);
}

/** qemu-img's reading of the file (its own guess of the format, or `format`); undefined when `format` does not open it. */
async function readInfo(path: string, format: string | undefined, log: LogSink, signal?: AbortSignal): Promise<SourceImage | undefined> {
  const info = await run(['qemu-img', 'info', '--output=json', ...(format ? ['-f', format] : []), path], { log, signal, captureStdout: true, allowFailure: format !== undefined, what: `reading ${path}` });
  if (info.exitCode !== 0) return undefined;
  const parsed = JSON.parse(info.stdout) as { format: string; 'virtual-size': number };
  return { path, format: parsed.format, virtualSize: parsed['virtual-size'] };
}

/** Reads the image's format and size and checks it is whole; throws before anything is written. */
export async function inspectImage(path: string, log: LogSink, signal?: AbortSignal): Promise<SourceImage> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`${path} does not exist or is not a file`, 'give the image kiln built (qcow2, raw, vhd, vmdk, vdi)');
  let image = (await readInfo(path, undefined, log, signal))!;
  const promised = formatOfExtension(path);
  // A fixed VHD (kiln's -t vhd) has no header, only a footer at its end, which qemu-img's guess
  // does not look at: it reads as raw. Opened as vpc it is whole; cut short (footer lost) it is not.
  if (promised === 'vpc' && image.format === 'raw') image = (await readInfo(path, 'vpc', log, signal)) ?? image;
  if (promised && promised !== image.format) throw damaged(path, `its name says ${promised} but qemu-img reads it as ${image.format}`);
  await checkStructure(image, log, signal);
  await checkChecksumFile(path, log, signal);
  return image;
}

/** A raw file of the image's disk: the image itself, or a sparse conversion in a temp folder. */
export async function rawOf(image: SourceImage, stack: ResourceStack, log: LogSink, signal?: AbortSignal): Promise<string> {
  if (image.format === 'raw') return image.path;
  const dir = await makeTempDir(stack, 'write-disk', undefined, log);
  const raw = join(dir, 'image.raw');
  await run(['qemu-img', 'convert', '-f', image.format, '-O', 'raw', image.path, raw], { log, signal, what: `converting ${image.path} to raw` });
  if (statSync(raw).size !== image.virtualSize) throw damaged(image.path, `it converted to ${statSync(raw).size} bytes instead of ${image.virtualSize}`);
  return raw;
}
