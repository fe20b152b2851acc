// The build VM sees the host's cache read-only, below a writable overlay: what the guest's
// build adds (layers, base trees, downloaded packages, outputs) lands in the overlay's upper
// folder. After the build the guest copies those files into an export folder the host shares
// for that purpose (inside the cache folder, so the move into place is a rename), and the host
// moves them into its cache under the cache lock. Deletions in the guest (whiteouts) and files
// still being written (partial names, the lock) never cross. The host's cache is therefore
// never written by the guest directly: a guest killed halfway leaves nothing half-stored.
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { withCacheLock } from '../cache/lock.js';
import { OWNER_MARKER } from '../resources/temp-dir.js';
import type { LogSink } from '../log.js';

/** True for cache entries that must never be copied: the lock and files still being written (pure). */
export function transient(name: string): boolean {
  return name === '.lock' || name.endsWith('.partial') || name.endsWith('.kiln-partial') || name === '.kiln-vm-incoming';
}

/** Relative paths of the regular files below `dir`, skipping transient names (whiteouts are devices). */
async function regularFiles(dir: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    if (transient(entry.name)) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...(await regularFiles(dir, rel)));
    else if (entry.isFile()) found.push(rel);
  }
  return found.sort();
}

/** Guest side: copies what the build added to the cache (`upper`) into `exportDir`; returns how many files. */
export async function exportCacheAdditions(upper: string, exportDir: string, log: LogSink): Promise<number> {
  const files = await regularFiles(upper);
  for (const rel of files) {
    await mkdir(join(exportDir, rel, '..'), { recursive: true });
    await copyFile(join(upper, rel), join(exportDir, rel));
  }
  if (files.length) log.line('vm', `copied ${files.length} new cache file(s) to the host`);
  return files.length;
}

/**
 * Host side: moves every file below `incoming` to the same place below `cacheDir`, holding the
 * cache lock; a file the cache got meanwhile from another build is replaced (same key, same
 * content). Removes `incoming`. Returns the relative paths moved.
 */
export async function importCacheAdditions(incoming: string, cacheDir: string, log: LogSink): Promise<string[]> {
  // Metadata last: a layer or an output set counts as present once its .json exists.
  const files = (await regularFiles(incoming)).filter((f) => f !== OWNER_MARKER).sort((a, b) => Number(a.endsWith('.json')) - Number(b.endsWith('.json')) || (a < b ? -1 : 1));
  if (files.length) {
    await withCacheLock(cacheDir, async () => {
      for (const rel of files) {
        await mkdir(join(cacheDir, rel, '..'), { recursive: true });
        await rename(join(incoming, rel), join(cacheDir, rel));
      }
    });
    log.line('vm', `kept ${files.length} new cache file(s) from the build VM in ${cacheDir}`);
  }
  await rm(incoming, { recursive: true, force: true });
  return files;
}

/** True when `dir` exists and this process may create files in it. */
export async function writableFolder(dir: string): Promise<boolean> {
  try {
    if (!(await stat(dir)).isDirectory()) return false;
    const probe = join(dir, `.kiln-write-test.${process.pid}`);
    await mkdir(probe);
    await rm(probe, { recursive: true });
    return true;
  } catch {
    return false;
  }
}
