// Finding kiln's temporary output files in tests.
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The file a standalone writeAtomically is writing for `path` (in its unique temp folder), if any. */
export function partialOf(path: string): string | undefined {
  const folder = readdirSync(dirname(path)).find((n) => n.startsWith(`.${basename(path)}.kiln-partial.`));
  const file = folder && join(dirname(path), folder, basename(path));
  return file && existsSync(file) ? file : undefined;
}

/** kiln's temporary output names left in `dir` (there must never be any after a write). */
export function partialLeftovers(dir: string): string[] {
  return readdirSync(dir).filter((n) => /\.kiln-(partial|staging)/.test(n));
}
