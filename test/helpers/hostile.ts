// Helpers for the safety tests: flavours written on the fly (hostile ones are never checked in),
// waiting for a build to reach a point, and looking at a folder's mounts.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Writes a flavour from `files` (path → content; a path ending in a hook folder gets mode 0755). */
export function writeFlavour(dir: string, name: string, files: Record<string, string>): string {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  if (!files['README.md']) writeFileSync(join(root, 'README.md'), `# ${name}\nWritten by a kiln test.\n`);
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    if (/\.d\/[^/]+$/.test(path) && !path.startsWith('environment.d/')) chmodSync(full, 0o755);
  }
  return root;
}

/** A bash hook body with kiln's strictness header. */
export function hook(body: string): string {
  return `#!/bin/bash\nset -eu\nset -o pipefail\n${body}\n`;
}

/** Waits until `check` is true (or fails the test after `ms`). */
export async function waitFor(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Mount points at or below `dir` (its real path). */
export function mountsUnder(dir: string): string[] {
  const real = realpathSync(dir);
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === real || p.startsWith(`${real}/`));
}

/** kiln work folders in `dir`. */
export function workFolders(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('kiln-')) : [];
}

/** True once a file `name` exists in the image root of a build working in `tmp`. */
export function markerInBuild(tmp: string, name: string): boolean {
  return workFolders(tmp).some((w) => existsSync(join(tmp, w, 'root', name)));
}
