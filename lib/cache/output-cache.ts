// The output cache: when nothing that shapes the outputs changed since a build, the outputs of
// that build are copied from the cache instead of being built again (an unchanged rebuild takes
// seconds and gives the same files). The key is the plan's (plan/cache-keys.ts outputKey).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { withCacheLock } from './lock.js';
import { readMetadata, type CacheTimes, type MetadataProblem } from './entry-metadata.js';
import { currentOutput, writeAtomically } from '../outputs/partial.js';
import { removeTree } from '../resources/remove-tree.js';
import type { Firmware } from '../boot-test/qemu.js';

const setDir = (cacheDir: string, key: string): string => join(cacheDir, 'outputs', key);
/** The file a format is kept in (formats such as `fs-image:/boot` hold a slash). */
const entryName = (format: string): string => encodeURIComponent(format);

/** The cached files for `key`, by format, if every one of `formats` is there; `optional` ones are added when kept. */
export function findOutputs(cacheDir: string, key: string, formats: readonly string[], optional: readonly string[] = [], problem?: MetadataProblem): Map<string, string> | undefined {
  const dir = setDir(cacheDir, key);
  const found = new Map(formats.map((f) => [f, join(dir, entryName(f))]));
  if (![...found.values()].every((p) => existsSync(p))) return undefined;
  if (!readMetadata<OutputMeta>(join(dir, 'meta.json'), problem)) return undefined;
  for (const f of optional) if (existsSync(join(dir, entryName(f)))) found.set(f, join(dir, entryName(f)));
  return found;
}

/** What `outputs/<key>/meta.json` records. */
interface OutputMeta extends CacheTimes {
  key: string;
  formats?: string[];
  firmwares?: Firmware[];
}

/** Copies a file or folder keeping holes (and sharing blocks where it can). */
async function copyOutput(from: string, to: string, log: LogSink): Promise<void> {
  await run(['cp', '--recursive', '--sparse=always', '--reflink=auto', from, to], { log, what: `copying ${from}` });
}

/** Stores the build's outputs under `key`, copied from where they are now (staged or in place). */
export async function storeOutputs(cacheDir: string, key: string, outputs: readonly { format: string; path: string }[], log: LogSink, firmwares: readonly string[] = []): Promise<void> {
  const dir = setDir(cacheDir, key);
  await mkdir(dirname(dir), { recursive: true });
  // A private, unique name in the cache: nothing another user planted can redirect the copy.
  const partial = await mkdtemp(join(dirname(dir), `.store-${basename(dir)}.`));
  try {
    for (const o of outputs) await copyOutput(currentOutput(o.path), join(partial, entryName(o.format)), log);
    await writeFile(join(partial, 'meta.json'), JSON.stringify({ key, createdMs: Date.now(), lastUsedMs: Date.now(), formats: outputs.map((o) => o.format), firmwares }), { flag: 'wx' });
    await withCacheLock(cacheDir, async () => {
      await removeTree(dir, log);
      await rename(partial, dir);
    });
  } finally {
    await removeTree(partial, log);
  }
}

/**
 * Copies the cached outputs `key` to where the build writes them (into its output set) and marks
 * the set as used. The set is looked up again under the cache lock: a concurrent prune or trim
 * may have removed it since the build looked, and then nothing is copied and false is returned
 * (the build makes the outputs itself).
 */
export async function restoreOutputs(cacheDir: string, key: string, wanted: { formats: readonly string[]; optional: readonly string[] }, targets: readonly { format: string; path: string }[], log: LogSink): Promise<boolean> {
  return withCacheLock(cacheDir, async () => {
    const found = findOutputs(cacheDir, key, wanted.formats, wanted.optional);
    if (!found) return false;
    for (const t of targets.filter((t) => found.has(t.format))) await writeAtomically(t.path, (partial) => copyOutput(found.get(t.format)!, partial, log), { log });
    const meta = join(setDir(cacheDir, key), 'meta.json');
    const info = readMetadata<OutputMeta>(meta);
    if (info) await writeFile(meta, JSON.stringify({ ...info, lastUsedMs: Date.now() }));
    return true;
  });
}

/** Cached output sets with their sizes and times, for kiln-cache (`problem` hears of broken metadata). */
export function listOutputSets(cacheDir: string, problem?: MetadataProblem): { key: string; path: string; bytes: number; createdMs: number; lastUsedMs: number; formats: string[] }[] {
  const root = join(cacheDir, 'outputs');
  if (!existsSync(root)) return [];
  // `.store-*` folders are sets being stored right now (storeOutputs).
  return readdirSync(root).filter((name) => !name.startsWith('.')).flatMap((name) => {
    const meta = readMetadata<OutputMeta>(join(root, name, 'meta.json'), problem);
    if (!meta) return [];
    const bytes = readdirSync(join(root, name), { recursive: true, encoding: 'utf8' }).reduce((sum, f) => sum + statSync(join(root, name, f)).blocks * 512, 0);
    return [{ key: name, path: join(root, name), bytes, createdMs: meta.createdMs, lastUsedMs: meta.lastUsedMs, formats: meta.formats ?? [] }];
  });
}

/** Firmwares the cached disk image boots with (for --boot-test on cached outputs). */
export function cachedFirmwares(cacheDir: string, key: string): Firmware[] {
  return readMetadata<OutputMeta>(join(setDir(cacheDir, key), 'meta.json'))?.firmwares ?? [];
}
