// The metadata files of the cache (`layers/<key>.json`, `outputs/<key>/meta.json`): read and
// checked in one place. A file another program, a full disk or a crash left broken is not an
// error of the build: the entry is ignored with a warning naming the file, and the build makes it
// again and stores it over the broken one (kiln-cache lists it no more, with the same warning).
import { existsSync, readFileSync } from 'node:fs';

/** The times every metadata file records. */
export interface CacheTimes {
  createdMs: number;
  lastUsedMs: number;
}

/** Says what is wrong with the metadata file at `path` (`message`: a warning line naming it). */
export type MetadataProblem = (message: string, path: string) => void;

/** The metadata at `path` if it is there and sound; undefined (after telling `problem`) if not. */
export function readMetadata<T extends CacheTimes>(path: string, problem: MetadataProblem = () => undefined): T | undefined {
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    problem(`ignoring broken cache metadata ${path} (not valid JSON: ${(error as Error).message}); that cache entry is built again`, path);
    return undefined;
  }
  const times = value as Partial<CacheTimes> | null;
  if (typeof times !== 'object' || times === null || !Number.isFinite(times.createdMs) || !Number.isFinite(times.lastUsedMs)) {
    problem(`ignoring broken cache metadata ${path} (no creation and last-use times); that cache entry is built again`, path);
    return undefined;
  }
  return value as T;
}
