// The merged hook tree ($TMP_HOOKS_PATH), made from what the resolved build lists
// (plan/hook-tree-sources.ts, which also found any collision). Links are copied as their targets
// because the tree is bind-mounted into the chroot, where host paths do not exist. kiln's
// helpers go to `.kiln/`: the hook wrapper, the shell library diskimage-builder elements source
// through $_LIB, and `dib-run-parts`; the chosen install-type hooks are linked into install.d.
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HookTreeSource } from '../plan/hook-tree-sources.js';

/** Folder inside the hook tree that holds kiln's own helpers. */
export const KILN_DIR = '.kiln';

/** Files of kiln's $_LIB (lib/dib/), the shell library DIB elements source. */
const DIB_LIB_FILES = ['die', 'common-defaults', 'img-defaults', 'common-functions', 'img-functions'] as const;

/** The folder of kiln's DIB shell library (works from lib/ sources and from dist/). */
function dibLibDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lib', 'dib');
}

/** Wrapper that gives a hook diskimage-builder's shell environment, then runs it (host and chroot alike). */
const RUN_HOOK_SCRIPT = `#!/bin/bash
# Written by kiln. Usage: run-hook HOOK. Gives the hook what diskimage-builder gives elements:
# $_LIB (its shell library), dib-run-parts on the PATH, the exported functions die and
# get_image_element_array; then sources the environment.d shell snippets named in KILN_ENV_FILES
# (relative to \${TMP_HOOKS_PATH}/environment.d) like dib-run-parts does, and runs the hook.
set -eu -o pipefail
export _LIB="\${TMP_HOOKS_PATH}/${KILN_DIR}/lib"
export PATH="\${PATH}:\${TMP_HOOKS_PATH}/${KILN_DIR}/bin"
source "\${_LIB}/die"
# "[name]=path " pairs for: eval declare -A image_elements=($(get_image_element_array))
get_image_element_array() {
    local line pairs=""
    while IFS= read -r line; do
        [ -n "$line" ] && pairs+="[\${line%%: *}]=\${line#*: } "
    done <<< "\${IMAGE_ELEMENT_YAML:-}"
    echo "$pairs"
}
export -f get_image_element_array
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
  await writeKilnHelpers(hooksDir);
  await chmod(hooksDir, 0o755);
}

async function writeKilnHelpers(hooksDir: string): Promise<void> {
  const kiln = join(hooksDir, KILN_DIR);
  await mkdir(join(kiln, 'lib'), { recursive: true });
  await mkdir(join(kiln, 'bin'), { recursive: true });
  await writeFile(join(kiln, 'run-hook'), RUN_HOOK_SCRIPT, { mode: 0o755 });
  for (const name of DIB_LIB_FILES) await cp(join(dibLibDir(), name), join(kiln, 'lib', name), { force: true });
  await cp(join(dibLibDir(), 'dib-run-parts'), join(kiln, 'bin', 'dib-run-parts'), { force: true });
}

/** Links planned hooks that live in a sub-folder of their flavour's phase folder (the chosen
 * install.d/<prefix>-<type>-install hooks) into the phase folder, as DIB's install-types does. */
export async function linkPlannedHooks(hooksDir: string, phases: readonly { dir: string; hooks: readonly { name: string; path: string }[] }[]): Promise<void> {
  for (const phase of phases) {
    for (const hook of phase.hooks) {
      const inTree = join(hooksDir, phase.dir, hook.name);
      if (existsSync(inTree)) continue;
      // The hook's folder inside the phase folder: install.d/<prefix>-<type>-install.
      const folder = dirname(hook.path).split('/').pop()!;
      await symlink(relative(dirname(inTree), join(hooksDir, phase.dir, folder, hook.name)), inTree);
    }
  }
}

/** Writes extra files (e.g. package-installs lists) into the hook tree. */
export async function addHookTreeFiles(hooksDir: string, files: Record<string, string>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    const target = join(hooksDir, relative);
    await mkdir(join(target, '..'), { recursive: true });
    await writeFile(target, content);
  }
}
