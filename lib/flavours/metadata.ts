// Reads what a flavour directory declares: its dependencies and provides (kiln's flavour-* files
// and DIB's element-* files, read the same way), the files in each phase folder, its
// environment.d files, and the ramdisk extras. Reading is kept apart from judging: hooks.ts
// and resolve.ts decide what the listings mean.
import { accessSync, constants, existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PHASES } from './phases.js';
import type { FoundFlavour } from './discover.js';
import { CONTAINER_CONFIG_FILE } from './container-config.js';

/** One entry of a phase folder, as found on disk. */
export interface DirEntryInfo {
  name: string;
  path: string;
  /** A regular file, or a link to one. */
  isFile: boolean;
  isExecutable: boolean;
  /** A folder (or a link to one). */
  isFolder?: boolean;
  /** A symbolic link whose target does not exist. */
  isDanglingLink?: boolean;
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
  /** What could not be read or is refused (a flavour-deps that is a folder, a cache-mounts line
   * leading out of the cache): an error when the flavour is used, a warning when it is not. */
  problems: string[];
  /** container-config.yaml, read but not yet parsed (only resolved flavours' files are checked). */
  containerConfig?: { path: string; text: string } | undefined;
}

/** Parses a one-name-per-line list: whitespace trimmed, blank lines and `#` comments ignored. */
function parseNameList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');
}

/** Reads one-name-per-line files; a file that is a folder or unreadable is a problem, not a crash. */
function readList(dir: string, names: string[], problems: string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const text = readMetadataFile(join(dir, name), problems);
    if (text !== undefined) out.push(...parseNameList(text));
  }
  return [...new Set(out)];
}

/** A metadata file's text; undefined when absent, and a problem when it cannot be read. */
function readMetadataFile(path: string, problems: string[]): string | undefined {
  try {
    if (statSync(path).isDirectory()) {
      problems.push(`${path} is a folder, not a file`);
      return undefined;
    }
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // A dangling link is a problem; a file that is simply absent is not.
      if (isLink(path)) problems.push(`${path} is a symlink to nothing`);
      return undefined;
    }
    problems.push(`${path} cannot be read (${code ?? String(error)})`);
    return undefined;
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Describes one directory entry: file or link to file, and executable for its owner/us. */
function describeEntry(dir: string, name: string): DirEntryInfo {
  const path = join(dir, name);
  let isFile = false;
  let isFolder = false;
  let isDanglingLink = false;
  try {
    const stat = statSync(path);
    isFile = stat.isFile();
    isFolder = stat.isDirectory();
  } catch {
    isDanglingLink = isLink(path);
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
  return { name, path, isFile, isExecutable, isFolder, isDanglingLink };
}

/** Lists a folder's entries, sorted by name; empty if the folder is absent. */
function listEntries(dir: string): DirEntryInfo[] {
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

/** A cache sub-folder name: plain names only, so the bind source stays inside the cache. */
const CACHE_DIR = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]*(\/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)*$/;
/** Image folders a cache may not cover: kiln mounts these itself. */
const RESERVED_IN_IMAGE = ['/', '/proc', '/sys', '/dev', '/tmp/in_target.d'];

/** Why a `cache-mounts` line is refused, or undefined when it is fine (pure). */
function cacheMountProblem(line: string): string | undefined {
  const fields = line.split(/\s+/);
  if (fields.length !== 2) return `"${line}" must be two fields: a cache sub-folder and an absolute folder in the image`;
  const [cacheDir = '', imagePath = ''] = fields;
  if (!CACHE_DIR.test(cacheDir) || cacheDir.split('/').some((c) => c === '..' || c === '.')) {
    return `cache sub-folder "${cacheDir}" must be a relative path of plain names (letters, digits, . _ + -; no "..")`;
  }
  if (!imagePath.startsWith('/') || imagePath.split('/').some((c) => c === '..' || c === '.')) {
    return `image folder "${imagePath}" must be an absolute path without "." or ".."`;
  }
  const normal = imagePath.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  if (RESERVED_IN_IMAGE.some((r) => normal === r || (r !== '/' && normal.startsWith(`${r}/`)))) {
    return `image folder "${imagePath}" is one kiln mounts itself (${RESERVED_IN_IMAGE.join(', ')})`;
  }
  return undefined;
}

function readCacheMounts(dir: string, problems: string[]): { cacheDir: string; imagePath: string }[] {
  const file = join(dir, 'cache-mounts');
  const mounts: { cacheDir: string; imagePath: string }[] = [];
  for (const line of readList(dir, ['cache-mounts'], problems)) {
    const problem = cacheMountProblem(line);
    if (problem) {
      problems.push(`${file}: ${problem}`);
      continue;
    }
    const [cacheDir = '', imagePath = ''] = line.split(/\s+/);
    mounts.push({ cacheDir, imagePath });
  }
  return mounts;
}

function readOptional(path: string, problems: string[]): { path: string; text: string } | undefined {
  const text = readMetadataFile(path, problems);
  return text === undefined ? undefined : { path, text };
}

/** Reads a flavour directory. */
export function readFlavour(found: FoundFlavour): FlavourMetadata {
  const dir = found.path;
  const problems: string[] = [];
  const phaseEntries = new Map<string, DirEntryInfo[]>();
  for (const phase of PHASES) phaseEntries.set(phase.dir, listEntries(join(dir, phase.dir)));
  return {
    name: found.name,
    path: dir,
    deps: readList(dir, ['flavour-deps', 'element-deps'], problems),
    provides: readList(dir, ['flavour-provides', 'element-provides'], problems),
    phaseEntries,
    environmentFiles: listEntries(join(dir, 'environment.d')),
    installTypeFolders: new Map(
      (phaseEntries.get('install.d') ?? [])
        .filter((entry) => !entry.isFile && entry.name.endsWith('-install'))
        .map((entry) => [entry.name, listEntries(entry.path)]),
    ),
    binaryDepsFiles: fileOrFolder(dir, 'binary-deps'),
    initFiles: fileOrFolder(dir, 'init'),
    cacheMounts: readCacheMounts(dir, problems),
    alwaysRun: readList(dir, ['always-run'], problems),
    cacheInputs: readList(dir, ['cache-inputs'], problems),
    cacheInputsDeclared: existsSync(join(dir, 'cache-inputs')),
    problems,
    containerConfig: readOptional(join(dir, CONTAINER_CONFIG_FILE), problems),
  };
}
