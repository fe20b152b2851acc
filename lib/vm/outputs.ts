// After a build in the VM: what the guest wrote to the output share (the images, checksums,
// files hooks put beside the image such as ${IMAGE_NAME}.vmlinuz) goes where a host build puts
// it, each file under its partial name first and renamed when complete, and handed to the
// invoking user as a host build's outputs are.
import { copyFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { isRoot, run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { writeAtomically } from '../outputs/partial.js';

/** The files of the output share that are outputs (not a partial file left by an interrupted writer). */
async function sharedOutputs(outDir: string): Promise<string[]> {
  const entries = await readdir(outDir, { withFileTypes: true });
  return entries.filter((e) => e.isFile() && !/\.kiln-(partial|lock)/.test(e.name)).map((e) => e.name).sort();
}

/** Moves (or, across filesystems, copies keeping holes) `from` to `to`. */
async function moveFile(from: string, to: string, log: LogSink): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await run(['cp', '--sparse=always', '--reflink=auto', from, to], { log, what: `copying ${from}` }).catch(() => copyFile(from, to));
  }
}

/** Puts every output of `outDir` into `destDir`; returns the destination paths. */
export async function placeOutputs(outDir: string, destDir: string, log: LogSink): Promise<string[]> {
  const placed: string[] = [];
  for (const name of await sharedOutputs(outDir)) {
    const target = join(destDir, name);
    await writeAtomically(target, (partial) => moveFile(join(outDir, name), partial, log), { createdByRoot: isRoot(), log });
    log.line('vm', `output ${target}`);
    placed.push(target);
  }
  return placed;
}
