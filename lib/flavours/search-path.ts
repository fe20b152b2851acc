// The flavour search path: --flavours-path, then $FLAVOURS_PATH, then diskimage-builder's
// $ELEMENTS_PATH, then kiln's built-in flavours/ folder, always last. Earlier entries win.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One directory of the search path and where the user put it. */
export interface SearchPathEntry {
  /** Absolute path of the directory. */
  dir: string;
  /** Where it came from: `--flavours-path`, `FLAVOURS_PATH`, `ELEMENTS_PATH` or `built-in`. */
  origin: string;
}

/** The folder of flavours shipped with kiln (works from lib/ sources and from dist/). */
export function builtInFlavoursDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..', '..', 'flavours');
}

/** Splits colon-separated lists, dropping empty parts, and resolves relative to `cwd`. */
function splitList(value: string | undefined, origin: string, cwd: string): SearchPathEntry[] {
  if (!value) return [];
  return value
    .split(':')
    .filter((part) => part.trim() !== '')
    .map((part) => ({ dir: resolve(cwd, part), origin }));
}

/** Builds the search path in priority order (first wins). */
export function searchPath(options: {
  cliPath?: string | undefined;
  env: Record<string, string | undefined>;
  cwd: string;
  builtIn?: string;
}): SearchPathEntry[] {
  return [
    ...splitList(options.cliPath, '--flavours-path', options.cwd),
    ...splitList(options.env.FLAVOURS_PATH, 'FLAVOURS_PATH', options.cwd),
    ...splitList(options.env.ELEMENTS_PATH, 'ELEMENTS_PATH', options.cwd),
    { dir: options.builtIn ?? builtInFlavoursDir(), origin: 'built-in' },
  ];
}

/** The ELEMENTS_PATH value hooks see: every entry, built-in last (DIB appends its own too). */
export function elementsPathValue(entries: SearchPathEntry[]): string {
  return [...new Set(entries.map((e) => e.dir))].join(':');
}

/** Joins a flavour name to its search-path entry. */
export function flavourDir(entry: SearchPathEntry, name: string): string {
  return join(entry.dir, name);
}
