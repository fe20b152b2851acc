// Keeps the cache within a size: the least recently used layers and output sets go first, as
// ccache and sccache do, so that a build machine's disk never fills with layers of images nobody
// builds any more. kiln-cache prune asks for it by hand; every build that wrote to the cache asks
// for it with KILN_CACHE_MAX_SIZE.
import { layerEntries, pruneCache, type CacheEntry } from './layer-store.js';
import { listOutputSets } from './output-cache.js';

/** Every layer and every set of cached outputs, as removable entries. */
export function removableEntries(cacheDir: string): CacheEntry[] {
  return [
    ...layerEntries(cacheDir),
    ...listOutputSets(cacheDir).map((o) => ({ kind: 'outputs' as const, key: o.key, bytes: o.bytes, lastUsedMs: o.lastUsedMs, paths: [o.path] })),
  ];
}

/** What a trim did: the entries removed and what the cache's layers and outputs take now. */
export interface Trimmed {
  removed: CacheEntry[];
  keptBytes: number;
}

/** Removes least recently used entries until layers and outputs take at most `maxBytes`. */
export async function trimCache(cacheDir: string, maxBytes: number): Promise<Trimmed> {
  const entries = removableEntries(cacheDir);
  const removed = await pruneCache(cacheDir, entries, maxBytes);
  const gone = new Set(removed);
  return { removed, keptBytes: entries.filter((e) => !gone.has(e)).reduce((sum, e) => sum + e.bytes, 0) };
}
