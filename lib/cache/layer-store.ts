// Stored layers: `<cache>/layers/<key>.tar.zst` (the image root and the hook tree, with owners,
// modes, xattrs and device nodes) plus `<key>.json` (stage, times, and the archive's size and
// sha256). A layer is written in a private temporary folder and renamed in under the cache lock,
// so a concurrent build never reads half a layer and no predictable name can be redirected. Before
// a layer is unpacked its size and sha256 are checked: a corrupt or truncated layer is moved aside
// (layers/corrupt/) with a warning and rebuilt, never trusted and never a lasting failure.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { removeTree } from '../resources/remove-tree.js';
import { withCacheLock } from './lock.js';
import { readMetadata, type MetadataProblem } from './entry-metadata.js';

/** What is known about one stored layer. */
export interface LayerInfo {
  key: string;
  stage: string;
  flavours: string;
  createdMs: number;
  lastUsedMs: number;
  bytes: number;
  path: string;
  /** sha256 of the archive, recorded when it was stored (missing in layers of older kilns). */
  sha256?: string;
  /** Size of the archive when it was stored. */
  storedBytes?: number;
}

const layersDir = (cacheDir: string): string => join(cacheDir, 'layers');

/** A usable layer's metadata: it exists and records its size and digest (layers of older kilns do not: they are rebuilt). */
export function findLayer(cacheDir: string, key: string, problem?: MetadataProblem): LayerInfo | undefined {
  const layer = readLayer(cacheDir, key, problem);
  return layer?.sha256 !== undefined && layer.storedBytes !== undefined ? layer : undefined;
}

/** Any stored layer's metadata (for listing and pruning), if the layer exists and its metadata is sound (else `problem` hears why). */
function readLayer(cacheDir: string, key: string, problem?: MetadataProblem): LayerInfo | undefined {
  const archive = join(layersDir(cacheDir), `${key}.tar.zst`);
  if (!existsSync(archive)) return undefined;
  const info = readMetadata<Omit<LayerInfo, 'path' | 'bytes'>>(join(layersDir(cacheDir), `${key}.json`), problem);
  return info && { ...info, key, path: archive, bytes: statSync(archive).size };
}

/** Every stored layer, newest first (`problem` hears of broken metadata). */
export function listLayers(cacheDir: string, problem?: MetadataProblem): LayerInfo[] {
  if (!existsSync(layersDir(cacheDir))) return [];
  return readdirSync(layersDir(cacheDir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => readLayer(cacheDir, f.replace(/\.json$/, ''), problem))
    .filter((l): l is LayerInfo => l !== undefined)
    .sort((a, b) => b.createdMs - a.createdMs);
}

const TAR_FLAGS = ['--xattrs', '--xattrs-include=*', '--acls', '--numeric-owner', '--one-file-system'];

/** sha256 of a file, read once. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes `content` to `path` through a temporary name in the same folder (never a partly written file). */
async function replaceFile(dir: string, path: string, content: string): Promise<void> {
  const temp = await mkdtemp(join(dir, '.meta-'));
  try {
    await writeFile(join(temp, 'meta.json'), content, { flag: 'wx' });
    await rename(join(temp, 'meta.json'), path);
  } finally {
    await removeTree(temp);
  }
}

/** Archives `work/root` and `work/hooks` as the layer `key`, recording its size and sha256. */
export async function storeLayer(opts: { cacheDir: string; key: string; stage: string; flavours: string; work: string; log: LogSink }): Promise<LayerInfo> {
  const dir = layersDir(opts.cacheDir);
  await mkdir(dir, { recursive: true });
  const final = join(dir, `${opts.key}.tar.zst`);
  // A private folder of a unique name: nothing planted in the cache can redirect the write.
  const temp = await mkdtemp(join(dir, '.store-'));
  try {
    const partial = join(temp, 'layer.tar.zst');
    await run(['tar', ...TAR_FLAGS, '--use-compress-program=zstd -T0 --fast=1', '-C', opts.work, '-cf', partial, 'root', 'hooks'], {
      privileged: true, log: opts.log, what: `storing the ${opts.stage} layer`,
    });
    const now = Date.now();
    const meta = {
      key: opts.key, stage: opts.stage, flavours: opts.flavours, createdMs: now, lastUsedMs: now,
      sha256: await sha256OfFile(partial), storedBytes: statSync(partial).size,
    };
    await withCacheLock(opts.cacheDir, async () => {
      await rename(partial, final);
      await replaceFile(dir, join(dir, `${opts.key}.json`), JSON.stringify(meta));
    });
    return { ...meta, path: final, bytes: meta.storedBytes };
  } finally {
    await removeTree(temp, opts.log);
  }
}

/** Why a layer cannot be used as it is on disk (size, then sha256), or undefined when it is intact. */
export async function layerProblem(layer: LayerInfo): Promise<string | undefined> {
  let bytes: number;
  try {
    bytes = statSync(layer.path).size;
  } catch {
    return 'its archive is gone';
  }
  if (layer.sha256 === undefined || layer.storedBytes === undefined) return 'it records no size and sha256';
  if (bytes !== layer.storedBytes) return `its archive has ${bytes} bytes, ${layer.storedBytes} were stored`;
  const digest = await sha256OfFile(layer.path);
  return digest === layer.sha256 ? undefined : `its sha256 is ${digest.slice(0, 12)}…, but ${layer.sha256.slice(0, 12)}… was stored`;
}

/** Moves a corrupt layer out of the way (layers/corrupt/), so that it is rebuilt; returns where it went. Call under the cache lock. */
export async function setLayerAside(cacheDir: string, layer: LayerInfo): Promise<string> {
  const aside = join(layersDir(cacheDir), 'corrupt');
  await mkdir(aside, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = join(aside, `${layer.key}.${stamp}.tar.zst`);
  if (existsSync(layer.path)) await rename(layer.path, target);
  const meta = join(layersDir(cacheDir), `${layer.key}.json`);
  if (existsSync(meta)) await rename(meta, join(aside, `${layer.key}.${stamp}.json`));
  return target;
}

/** Replaces `work/root` and `work/hooks` with the layer's content (verified by the caller). Call under the cache lock. */
export async function restoreLayer(opts: { cacheDir: string; layer: LayerInfo; work: string; log: LogSink }): Promise<void> {
  for (const dir of ['root', 'hooks']) if (existsSync(join(opts.work, dir))) await removeTree(join(opts.work, dir), opts.log);
  await run(['tar', '--xattrs', '--xattrs-include=*', '--acls', '--numeric-owner', '-p', '--use-compress-program=zstd -T0', '-C', opts.work, '-xf', opts.layer.path], {
    privileged: true, log: opts.log, what: `restoring the ${opts.layer.stage} layer`,
  });
  const { path: _p, bytes: _b, ...info } = opts.layer;
  await replaceFile(layersDir(opts.cacheDir), join(layersDir(opts.cacheDir), `${opts.layer.key}.json`), JSON.stringify({ ...info, lastUsedMs: Date.now() }));
}

/** One removable cache entry: a layer or a set of cached outputs. */
export interface CacheEntry {
  kind: 'layer' | 'outputs';
  key: string;
  bytes: number;
  lastUsedMs: number;
  /** Files and folders to delete to remove it. */
  paths: string[];
}

/** Removes least recently used entries until they take at most `maxBytes`; returns what was removed. */
export async function pruneCache(cacheDir: string, entries: CacheEntry[], maxBytes: number): Promise<CacheEntry[]> {
  return withCacheLock(cacheDir, async () => {
    const ordered = [...entries].sort((a, b) => a.lastUsedMs - b.lastUsedMs);
    let total = ordered.reduce((sum, e) => sum + e.bytes, 0);
    const removed: CacheEntry[] = [];
    for (const entry of ordered) {
      if (total <= maxBytes) break;
      for (const path of entry.paths) await removeTree(path);
      total -= entry.bytes;
      removed.push(entry);
    }
    return removed;
  });
}

/** Every layer as a removable entry. */
export function layerEntries(cacheDir: string): CacheEntry[] {
  return listLayers(cacheDir).map((l) => ({
    kind: 'layer', key: l.key, bytes: l.bytes, lastUsedMs: l.lastUsedMs,
    paths: [l.path, join(layersDir(cacheDir), `${l.key}.json`)],
  }));
}
