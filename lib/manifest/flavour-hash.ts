// A flavour's content as one hash: every file below its folder (hooks, metadata, bin/, ...) by
// relative path, executable bit and content, so a manifest pins exactly the flavour that built an
// image, wherever its folder was.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fg from 'fast-glob';
import { sha256 } from '../cache/keys.js';

/** sha256 over `path mode sha256` lines of the folder's files, sorted (symbolic links followed; .git skipped). */
export function flavourHash(folder: string): string {
  const files = fg.sync('**/*', { cwd: folder, dot: true, onlyFiles: true, followSymbolicLinks: true, ignore: ['.git/**', '**/__pycache__/**'] }).sort();
  const lines = files.map((file) => {
    const path = join(folder, file);
    const executable = (statSync(path).mode & 0o111) !== 0 ? 'x' : '-';
    return `${file} ${executable} ${sha256(readFileSync(path))}`;
  });
  return sha256(lines.join('\n'));
}
