// The merged hook tree ($TMP_HOOKS_PATH): every top-level folder of every flavour merged into
// one (phase folders, environment.d, bin, static, ...), top-level files copied too (the last
// flavour wins, as in DIB). Links are copied as their targets because the tree is bind-mounted
// into the chroot, where host paths do not exist. A file that two flavours put in the same
// folder is an error naming both.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { chmod, cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { PlannedFlavour } from '../plan/build-plan.js';

const SKIPPED_DIRS = new Set(['tests', 'test-elements', '__pycache__', '.git']);

/** Folder inside the hook tree that holds kiln's own helpers. */
export const KILN_DIR = '.kiln';

/** Wrapper that sources the environment.d shell snippets, then runs the hook (host and chroot alike). */
export const RUN_HOOK_SCRIPT = `#!/bin/bash
# Written by kiln. Usage: run-hook HOOK. Sources the environment.d shell snippets named in
# KILN_ENV_FILES (relative to \${TMP_HOOKS_PATH}/environment.d) like dib-run-parts does, then
# runs the hook in its place.
set -eu -o pipefail
for kiln_env_file in \${KILN_ENV_FILES:-}; do
    source "\${TMP_HOOKS_PATH}/environment.d/\${kiln_env_file}"
done
unset kiln_env_file
set +eu +o pipefail
exec "$1"
`;

/** Plans which file of which flavour lands where; throws on collisions (pure over listings). */
export function planHookTree(listings: { flavour: string; dirs: Map<string, string[]> }[]): Map<string, string> {
  const owner = new Map<string, string>();
  for (const { flavour, dirs } of listings) {
    for (const [dir, files] of dirs) {
      for (const file of files) {
        const key = `${dir}/${file}`;
        const other = owner.get(key);
        if (other !== undefined && other !== flavour) {
          throw new UsageError(`${key} exists in flavour "${other}" and in flavour "${flavour}"`, 'rename one of them: all flavours share one hook tree');
        }
        owner.set(key, flavour);
      }
    }
  }
  return owner;
}

function listFolders(flavourPath: string): Map<string, string[]> {
  const dirs = new Map<string, string[]>();
  for (const name of readdirSync(flavourPath)) {
    if (SKIPPED_DIRS.has(name)) continue;
    const full = join(flavourPath, name);
    if (statSync(full).isDirectory()) dirs.set(name, readdirSync(full));
  }
  return dirs;
}

/** Builds the merged hook tree at `hooksDir` from the plan's flavours. */
export async function buildHookTree(hooksDir: string, flavours: readonly PlannedFlavour[]): Promise<void> {
  await mkdir(hooksDir, { recursive: true });
  const listings = flavours.map((f) => ({ flavour: f.name, path: f.path, dirs: listFolders(f.path) }));
  planHookTree(listings);
  for (const { path, dirs } of listings) {
    for (const dir of dirs.keys()) {
      await cp(join(path, dir), join(hooksDir, dir), { recursive: true, dereference: true, force: true });
    }
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      if (!dirs.has(name) && !SKIPPED_DIRS.has(name) && statSync(full).isFile() && !name.endsWith('.pyc')) {
        await cp(full, join(hooksDir, name), { dereference: true, force: true });
      }
    }
  }
  await mkdir(join(hooksDir, KILN_DIR), { recursive: true });
  await writeFile(join(hooksDir, KILN_DIR, 'run-hook'), RUN_HOOK_SCRIPT, { mode: 0o755 });
  await chmod(hooksDir, 0o755);
}

/** Writes extra files (e.g. package-installs lists) into the hook tree. */
export async function addHookTreeFiles(hooksDir: string, files: Record<string, string>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const target = join(hooksDir, relative);
    await mkdir(join(target, '..'), { recursive: true });
    await writeFile(target, content);
  }
}

/** True if the hook tree has `relative` (e.g. `bin/install-packages`). */
export function hookTreeHas(hooksDir: string, relative: string): boolean {
  return existsSync(join(hooksDir, relative));
}
