// Reads what a flavour directory declares: its dependencies and provides (kiln's flavour-* files
// and DIB's element-* files, read the same way), the files in each phase folder, its
// environment.d files, and the ramdisk extras. Reading is kept apart from judging: hooks.ts
// and resolve.ts decide what the listings mean.
import { accessSync, constants, existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PHASES } from '../plan/phases.js';
import type { FoundFlavour } from './discover.js';

/** One entry of a phase folder, as found on disk. */
export interface DirEntryInfo {
  name: string;
  path: string;
  /** A regular file, or a link to one. */
  isFile: boolean;
  isExecutable: boolean;
}

/** Everything kiln reads from one flavour directory. */
export interface FlavourMetadata {
  name: string;
  path: string;
  deps: string[];
  provides: string[];
  /** Entries of each phase folder, keyed by folder name (`install.d`). */
  phaseEntries: Map<string, DirEntryInfo[]>;
  /** environment.d entries. */
  environmentFiles: DirEntryInfo[];
  /** install.d/<prefix>-<type>-install folders (DIB's install-types) and their entries. */
  installTypeFolders: Map<string, DirEntryInfo[]>;
  /** `binary-deps` file and `binary-deps.d/*` files. */
  binaryDepsFiles: DirEntryInfo[];
  /** `init` file and `init.d/*` fragments. */
  initFiles: DirEntryInfo[];
  /** Lines of `cache-mounts`: cache sub-folder bound at a path inside the image. */
  cacheMounts: { cacheDir: string; imagePath: string }[];
  /** Hook names (`install.d/50-fetch`) declared in `always-run`: never reused from the cache. */
  alwaysRun: string[];
  /** Host files (globs, `~` = the invoking user's home) the flavour's host hooks read: hashed into cache keys. */
  cacheInputs: string[];
  /** True when the flavour has a `cache-inputs` file (even an empty one: "my host hooks read
   * nothing kiln does not already hash"). */
  cacheInputsDeclared: boolean;
}

/** Parses a one-name-per-line list: whitespace trimmed, blank lines and `#` comments ignored. */
export function parseNameList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
}

function readList(dir: string, names: string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const file = join(dir, name);
    if (existsSync(file)) out.push(...parseNameList(readFileSync(file, 'utf8')));
  }
  return [...new Set(out)];
}

/** Describes one directory entry: file or link to file, and executable for its owner/us. */
export function describeEntry(dir: string, name: string): DirEntryInfo {
  const path = join(dir, name);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    isFile = false;
  }
  let isExecutable = false;
  if (isFile) {
    try {
      accessSync(path, constants.X_OK);
      isExecutable = true;
    } catch {
      isExecutable = (statSync(path).mode & 0o111) !== 0;
    }
  }
  return { name, path, isFile, isExecutable };
}

/** Lists a folder's entries, sorted by name; empty if the folder is absent. */
export function listEntries(dir: string): DirEntryInfo[] {
  try {
    if (!statSync(dir).isDirectory()) return [];
  } catch {
    return [];
  }
  return readdirSync(dir)
    .sort()
    .map((name) => describeEntry(dir, name));
}

function fileOrFolder(dir: string, name: string): DirEntryInfo[] {
  const single = join(dir, name);
  const entries: DirEntryInfo[] = [];
  try {
    if (lstatSync(single) && statSync(single).isFile()) entries.push(describeEntry(dir, name));
  } catch {
    // absent
  }
  return [...entries, ...listEntries(join(dir, `${name}.d`))];
}

function readCacheMounts(dir: string): { cacheDir: string; imagePath: string }[] {
  return readList(dir, ['cache-mounts']).map((line) => {
    const [cacheDir = '', imagePath = ''] = line.split(/\s+/);
    return { cacheDir, imagePath };
  });
}

/** Reads a flavour directory. */
export function readFlavour(found: FoundFlavour): FlavourMetadata {
  const dir = found.path;
  const phaseEntries = new Map<string, DirEntryInfo[]>();
  for (const phase of PHASES) phaseEntries.set(phase.dir, listEntries(join(dir, phase.dir)));
  return {
    name: found.name,
    path: dir,
    deps: readList(dir, ['flavour-deps', 'element-deps']),
    provides: readList(dir, ['flavour-provides', 'element-provides']),
    phaseEntries,
    environmentFiles: listEntries(join(dir, 'environment.d')),
    installTypeFolders: new Map(
      (phaseEntries.get('install.d') ?? [])
        .filter((entry) => !entry.isFile && entry.name.endsWith('-install'))
        .map((entry) => [entry.name, listEntries(entry.path)]),
    ),
    binaryDepsFiles: fileOrFolder(dir, 'binary-deps'),
    initFiles: fileOrFolder(dir, 'init'),
    cacheMounts: readCacheMounts(dir),
    alwaysRun: readList(dir, ['always-run']),
    cacheInputs: readList(dir, ['cache-inputs']),
    cacheInputsDeclared: existsSync(join(dir, 'cache-inputs')),
  };
}
