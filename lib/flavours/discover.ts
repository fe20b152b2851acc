// Finds every flavour along the search path. A flavour is any sub-directory of a search-path
// entry; its name is the base name of its real path (as in DIB, a symlinked flavour takes its
// target's name). An earlier entry overrides a later one, with a warning naming both paths.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UsageError } from '../errors.js';
import type { SearchPathEntry } from './search-path.js';

/** A flavour directory found on the search path. */
export interface FoundFlavour {
  name: string;
  /** Real path of the flavour directory. */
  path: string;
  /** The search-path entry it was found in. */
  entry: SearchPathEntry;
}

/** What discovery found: flavours by name and the override warnings. */
export interface Discovery {
  flavours: Map<string, FoundFlavour>;
  warnings: string[];
  searched: SearchPathEntry[];
}

/** Scans every entry (checking each is a directory) and applies earlier-wins overrides. */
export function discoverFlavours(entries: SearchPathEntry[]): Discovery {
  const flavours = new Map<string, FoundFlavour>();
  const warnings: string[] = [];
  // Scan from the last entry to the first so that earlier entries overwrite later ones.
  for (const entry of [...entries].reverse()) {
    for (const found of scanEntry(entry)) {
      const previous = flavours.get(found.name);
      if (previous && previous.path !== found.path) {
        warnings.push(`flavour ${found.name}: ${found.path} (${found.entry.origin}) overrides ${previous.path} (${previous.entry.origin})`);
      }
      flavours.set(found.name, found);
    }
  }
  return { flavours, warnings, searched: entries };
}

function scanEntry(entry: SearchPathEntry): FoundFlavour[] {
  let isDir = false;
  try {
    isDir = statSync(entry.dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new UsageError(
      `${entry.origin} entry '${entry.dir}' is not a directory`,
      `fix ${entry.origin === '--flavours-path' ? 'the --flavours-path option' : `$${entry.origin}`}: every entry must be a folder of flavours`,
    );
  }
  const found: FoundFlavour[] = [];
  for (const name of readdirSync(entry.dir).sort()) {
    const full = join(entry.dir, name);
    try {
      if (!statSync(full).isDirectory()) continue;
      const real = realpathSync(full);
      found.push({ name: basename(real), path: real, entry });
    } catch {
      // A dangling link is not a flavour.
    }
  }
  return found;
}
