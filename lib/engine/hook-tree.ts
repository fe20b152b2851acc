// The merged hook tree ($TMP_HOOKS_PATH), made from what the resolved build lists
// (plan/hook-tree-sources.ts, which also found any collision). Links are copied as their targets
// because the tree is bind-mounted into the chroot, where host paths do not exist.
import { chmod, cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HookTreeSource } from '../plan/hook-tree-sources.js';

/** Folder inside the hook tree that holds kiln's own helpers. */
export const KILN_DIR = '.kiln';

/** Wrapper that sources the environment.d shell snippets, then runs the hook (host and chroot alike). */
const RUN_HOOK_SCRIPT = `#!/bin/bash
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

/** Builds the merged hook tree at `hooksDir` from what the resolved build lists. */
export async function buildHookTree(hooksDir: string, sources: readonly HookTreeSource[]): Promise<void> {
  await mkdir(hooksDir, { recursive: true });
  for (const { path, folders, files } of sources) {
    for (const dir of folders) await cp(join(path, dir), join(hooksDir, dir), { recursive: true, dereference: true, force: true });
    for (const name of files) await cp(join(path, name), join(hooksDir, name), { dereference: true, force: true });
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
