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

/** Creates a temp dir under `parent` (default: $TMPDIR or /tmp) and registers its removal. */
export async function makeTempDir(stack: ResourceStack, prefix: string, parent = tmpdir(), log?: LogSink): Promise<string> {
  const path = await mkdtemp(join(parent, prefix));
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
