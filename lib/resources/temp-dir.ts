// Temporary directories as resources: created with mkdtemp, removed (with everything in them)
// when the stack unwinds. Removal refuses to cross into other filesystems, so a mount that
// somehow survived is never emptied through its mount point.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from './disposable-stack.js';
import { mountsBelow } from './mount.js';

/**
 * Creates a temp dir kiln-<kind>.<pid>.XXXXXX under `parent` (default: $TMPDIR or /tmp) and
 * registers its removal. The pid in the name lets a later kiln clear it if this process is
 * killed outright (leftovers.ts).
 */
export async function makeTempDir(stack: ResourceStack, kind: string, parent = tmpdir(), log?: LogSink): Promise<string> {
  const path = await mkdtemp(join(parent, tempPrefix(kind)));
  stack.defer(`remove ${path}`, () => removeTree(path, log));
  return path;
}

/** Removes a tree that may contain root-owned files; refuses if anything below is still mounted. */
export async function removeTree(path: string, log?: LogSink): Promise<void> {
  const mounted = mountsBelow(path);
  if (mounted.length) throw new Error(`not removing ${path}: ${mounted.join(', ')} still mounted`);
  try {
    await rm(path, { recursive: true, force: true });
  } catch {
    // Root-owned content (the image tree) when kiln runs as a user through sudo.
    await run(['rm', '-rf', '--one-file-system', path], { privileged: true, log, what: `removing ${path}` });
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
