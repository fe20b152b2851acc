// A flavour's content as one hash: every file below its folder (hooks, metadata, bin/, ...) by
// relative path, executable bit and content, so a manifest pins exactly the flavour that built an
// image, wherever its folder was.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fg from 'fast-glob';

/** sha256 over `path mode sha256` lines of the folder's files, sorted (symbolic links followed; .git skipped). */
export function flavourHash(folder: string): string {
  const files = fg.sync('**/*', { cwd: folder, dot: true, onlyFiles: true, followSymbolicLinks: true, ignore: ['.git/**', '**/__pycache__/**'] }).sort();
  const lines = files.map((file) => {
    const path = join(folder, file);
    const executable = (statSync(path).mode & 0o111) !== 0 ? 'x' : '-';
    return `${file} ${executable} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  });
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
