// Builds file trees from object literals in a fresh temp folder (changesets' testdir idea).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A file: its text, or text and mode, or a symlink target, or an empty directory. */
export type TreeEntry = string | { content: string; mode?: number } | { link: string } | { dir: true };

/** Writes `entries` below `root`. Executable hooks: `{ content, mode: 0o755 }`. */
export function writeTree(root: string, entries: Record<string, TreeEntry>): void {
  for (const [relative, entry] of Object.entries(entries)) {
    const path = join(root, relative);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof entry === 'string') writeFileSync(path, entry);
    else if ('link' in entry) symlinkSync(entry.link, path);
    else if ('dir' in entry) mkdirSync(path, { recursive: true });
    else {
      writeFileSync(path, entry.content);
      chmodSync(path, entry.mode ?? 0o644);
    }
  }
}

/** A temp folder removed by the returned cleanup function. */
export function tempDir(prefix = 'kiln-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** An executable hook body. */
export function hook(body = 'true'): { content: string; mode: number } {
  return { content: `#!/bin/sh\n${body}\n`, mode: 0o755 };
}
