// Temporary directories as resources: created with mkdtemp (mode 0700) under the REAL path of
// their parent (a symlinked or relative TMPDIR is resolved first, so every path derived from
// the folder matches the mount table), removed with everything in them when the stack unwinds.
// Removal refuses to cross into other filesystems (remove-tree.ts). Each holds a marker naming
// the kiln process that made it (pid, boot id, start time, pid namespace), so that a later kiln
// can prove the folder is kiln's and its maker dead before it clears it (leftovers.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogSink } from '../log.js';
import type { ResourceStack } from './disposable-stack.js';
import { removeTree } from './remove-tree.js';
import { parseIdentity, selfIdentity, type ProcessIdentity } from './process-identity.js';
import { resolveHostPath } from './safe-path.js';

/** The marker file in every kiln temp folder. */
export const OWNER_MARKER = '.kiln-owner';

/**
 * Creates a temp dir kiln-<kind>.<pid>.XXXXXX under `parent` (default: $TMPDIR or /tmp) and
 * registers its removal. The pid in the name lets a later kiln clear it if this process is
 * killed outright (leftovers.ts).
 */
export async function makeTempDir(stack: ResourceStack, kind: string, parent = tmpdir(), log?: LogSink): Promise<string> {
  const path = await mkdtemp(join(resolveHostPath(parent), tempPrefix(kind)));
  stack.defer(`remove ${path}`, () => removeTree(path, log));
  writeOwnerMarker(path);
  return path;
}

/** Writes the marker naming this process into `dir` (again after a tmpfs was mounted on it). */
export function writeOwnerMarker(dir: string): void {
  writeFileSync(join(dir, OWNER_MARKER), JSON.stringify(selfIdentity()), { flag: 'wx', mode: 0o600 });
}

/** The process a kiln temp folder's marker names; undefined without a readable kiln marker. */
export function readOwnerMarker(dir: string): ProcessIdentity | undefined {
  try {
    return parseIdentity(readFileSync(join(dir, OWNER_MARKER), 'utf8'));
  } catch {
    return undefined;
  }
}

const TEMP_NAME = /^kiln-([a-z-]+)\.(\d+)\.[A-Za-z0-9]{6}$/;

/** A kiln temp folder's name, read back. */
export interface KilnTempName {
  name: string;
  /** build, image-read, image-mount, ramdisk, ... */
  kind: string;
  /** The process that made it. */
  pid: number;
}

/** The mkdtemp prefix of a temp folder of `kind` made by this process. */
export function tempPrefix(kind: string, pid = process.pid): string {
  return `kiln-${kind}.${pid}.`;
}

/** Parses a kiln temp folder name; undefined for anything else. */
export function parseTempName(name: string): KilnTempName | undefined {
  const match = TEMP_NAME.exec(name);
  if (!match) return undefined;
  return { name, kind: match[1]!, pid: Number(match[2]) };
}
