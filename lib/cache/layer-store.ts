// Stored layers: `<cache>/layers/<key>.tar.zst` (the image root and the hook tree, with owners,
// modes, xattrs and device nodes) plus `<key>.json` (stage, sizes, times). Written under a
// temporary name and renamed, so a concurrent build never reads half a layer.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
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
}

const layersDir = (cacheDir: string): string => join(cacheDir, 'layers');

/** Reads a layer's metadata, if the layer exists and its metadata is sound (else `problem` hears why). */
export function findLayer(cacheDir: string, key: string, problem?: MetadataProblem): LayerInfo | undefined {
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
    .map((f) => findLayer(cacheDir, f.replace(/\.json$/, ''), problem))
    .filter((l): l is LayerInfo => l !== undefined)
    .sort((a, b) => b.createdMs - a.createdMs);
}

const TAR_FLAGS = ['--xattrs', '--xattrs-include=*', '--acls', '--numeric-owner', '--one-file-system'];

/** Archives `work/root` and `work/hooks` as the layer `key`. */
export async function storeLayer(opts: { cacheDir: string; key: string; stage: string; flavours: string; work: string; log: LogSink }): Promise<LayerInfo> {
  await mkdir(layersDir(opts.cacheDir), { recursive: true });
  const final = join(layersDir(opts.cacheDir), `${opts.key}.tar.zst`);
  const partial = `${final}.${process.pid}.partial`;
  try {
    await run(['tar', ...TAR_FLAGS, '--use-compress-program=zstd -T0 --fast=1', '-C', opts.work, '-cf', partial, 'root', 'hooks'], {
      privileged: true, log: opts.log, what: `storing the ${opts.stage} layer`,
    });
    const now = Date.now();
    const meta = { key: opts.key, stage: opts.stage, flavours: opts.flavours, createdMs: now, lastUsedMs: now };
    await withCacheLock(opts.cacheDir, async () => {
      await rename(partial, final);
      await writeFile(join(layersDir(opts.cacheDir), `${opts.key}.json`), JSON.stringify(meta));
    });
    return { ...meta, path: final, bytes: statSync(final).size };
  } finally {
    await rm(partial, { force: true }).catch(() => run(['rm', '-f', partial], { privileged: true, log: opts.log, allowFailure: true }));
  }
}

/** Replaces `work/root` and `work/hooks` with the layer's content. */
export async function restoreLayer(opts: { cacheDir: string; layer: LayerInfo; work: string; log: LogSink }): Promise<void> {
  for (const dir of ['root', 'hooks']) if (existsSync(join(opts.work, dir))) await removeTree(join(opts.work, dir), opts.log);
  await withCacheLock(opts.cacheDir, async () => {
    await run(['tar', '--xattrs', '--xattrs-include=*', '--acls', '--numeric-owner', '-p', '--use-compress-program=zstd -T0', '-C', opts.work, '-xf', opts.layer.path], {
      privileged: true, log: opts.log, what: `restoring the ${opts.layer.stage} layer`,
    });
    const meta = join(layersDir(opts.cacheDir), `${opts.layer.key}.json`);
    const { path: _p, bytes: _b, ...info } = opts.layer;
    await writeFile(meta, JSON.stringify({ ...info, lastUsedMs: Date.now() }));
  });
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
      for (const path of entry.paths) await rm(path, { recursive: true, force: true });
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
