// Outputs appear only when complete: each is written under a hidden temporary name in the
// output folder (same filesystem, so the final rename is atomic) and renamed at the end. A
// failure or an abort removes the partial file; a stale one from a killed run is replaced.
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { handOver } from './owner.js';

/** The temporary name `path` is written under: `.NAME.EXT.kiln-partial` beside it (pure). */
export function partialPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.kiln-partial`);
}

/** Removes a file that may belong to root (a privileged tool wrote it into a sticky folder). */
export async function removeOutputFile(path: string, log?: LogSink): Promise<void> {
  try {
    await rm(path, { force: true });
  } catch {
    await run(['rm', '-f', '--', path], { privileged: true, log, allowFailure: true });
  }
}

/** How the writer made the partial file. */
export interface PartialWriteOptions {
  /** A privileged tool created the file (so a non-root kiln needs sudo to chown it). */
  createdByRoot?: boolean;
  log?: LogSink;
}

/** Runs `write(partial)`, hands the file to the output owner and renames it to `path`. */
export async function writeAtomically(path: string, write: (partial: string) => Promise<void>, options: PartialWriteOptions = {}): Promise<void> {
  const partial = partialPath(path);
  await mkdir(dirname(path), { recursive: true });
  await removeOutputFile(partial, options.log);
  try {
    await write(partial);
    await handOver(partial, options.createdByRoot ?? false, options.log);
    await rename(partial, path);
  } finally {
    // After the rename there is nothing left to remove; after a failure the half-written file goes.
    await removeOutputFile(partial, options.log);
  }
}
