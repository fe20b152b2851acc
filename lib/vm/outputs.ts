// After a build in the VM: what the guest handed back (copied out of the transport disk: the
// images, checksums, description files, files hooks put beside the image such as
// ${IMAGE_NAME}.vmlinuz, the NAME.d folder) goes where a host build puts it, each file under its
// partial name first and renamed when complete, and handed to the invoking user as a host build's
// outputs are.
import { copyFile, mkdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isRoot, run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { writeAtomically } from '../outputs/partial.js';

/** Moves (or, across filesystems, copies keeping holes) `from` to `to`. */
async function moveFile(from: string, to: string, log: LogSink): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await run(['cp', '--sparse=always', '--reflink=auto', from, to], { log, what: `copying ${from}` }).catch(() => copyFile(from, to));
  }
}

/** One output to place: its path relative to the folder it was copied to, and where it goes. */
export interface OutputPlacement {
  name: string;
  target: string;
}

/** Puts each output of `outDir` (names checked: output-transport.ts) at its target; returns the targets. */
export async function placeOutputs(outDir: string, outputs: readonly OutputPlacement[], log: LogSink): Promise<string[]> {
  const placed: string[] = [];
  for (const { name, target } of [...outputs].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    // NAME.d/dib-manifests/...: made as a host build makes it (engine/steps/manifests.ts).
    await mkdir(dirname(target), { recursive: true });
    await writeAtomically(target, (partial) => moveFile(join(outDir, name), partial, log), { createdByRoot: isRoot(), log });
    log.line('vm', `output ${target}`);
    placed.push(target);
  }
  return placed;
}
