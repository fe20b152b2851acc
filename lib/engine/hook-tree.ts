// The merged hook tree ($TMP_HOOKS_PATH), as diskimage-builder assembles it: the folders of all
// flavours (phase folders, environment.d, bin, static, init-scripts, ...) merge into one tree at
// every depth, and only two files at one path clash (an error naming both flavours, raised by
// the dry run too). Top-level files (README, element-deps, pkg-map, ...) are copied as well, the
// last flavour winning, as in DIB. Links are copied as their targets because the tree is
// bind-mounted into the chroot, where host paths do not exist. kiln's helpers go to `.kiln/`:
// the hook wrapper, the shell library elements source through $_LIB, and `dib-run-parts`.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { chmod, cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

const SKIPPED_DIRS = new Set(['tests', 'test-elements', '__pycache__', '.git']);

/** Folder inside the hook tree that holds kiln's own helpers. */
export const KILN_DIR = '.kiln';

/** Files of kiln's $_LIB (lib/dib/), the shell library DIB elements source. */
export const DIB_LIB_FILES = ['die', 'common-defaults', 'img-defaults', 'common-functions', 'img-functions'] as const;

/** The folder of kiln's DIB shell library (works from lib/ sources and from dist/). */
export function dibLibDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lib', 'dib');
}

/** Wrapper that gives a hook diskimage-builder's shell environment, then runs it (host and chroot alike). */
export const RUN_HOOK_SCRIPT = `#!/bin/bash
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

/** What one flavour brings to the tree: files and folders inside its folders, and its top-level files. */
export interface FlavourTree {
  flavour: string;
  /** Relative path (`install.d/50-x`, `init-scripts/systemd/x.service`) → absolute source. */
  files: Map<string, string>;
  /** Relative paths of folders (`install.d`, `init-scripts/systemd`). */
  dirs: Set<string>;
  /** Top-level files: name → absolute source (copied, last flavour wins). */
  topFiles: Map<string, string>;
}

/** Lists a flavour folder for the merge: sub-folders recursively (links followed, loops cut). */
export function listFlavourTree(flavour: { name: string; path: string }): FlavourTree {
  const tree: FlavourTree = { flavour: flavour.name, files: new Map(), dirs: new Set(), topFiles: new Map() };
  const walk = (dir: string, relative: string, ancestors: Set<string>): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = relative ? `${relative}/${name}` : name;
      let stat;
      try {
        stat = statSync(full);
      } catch {
        continue; // a dangling link
      }
      if (stat.isDirectory()) {
        if (SKIPPED_DIRS.has(name)) continue;
        const real = realpathSync(full);
        if (ancestors.has(real)) continue; // a link back up the tree
        tree.dirs.add(rel);
        walk(full, rel, new Set([...ancestors, real]));
      } else if (stat.isFile()) {
        if (!relative) {
          if (!name.endsWith('.pyc')) tree.topFiles.set(name, full);
        } else {
          tree.files.set(rel, full);
        }
      }
    }
  };
  walk(flavour.path, '', new Set([realpathSync(flavour.path)]));
  return tree;
}

/** Checks that folders merge cleanly: a path may be a file in only one flavour, and never a file in
 * one and a folder in another. Returns the owner of every file. Pure over the listings. */
export function planHookTree(trees: readonly FlavourTree[]): Map<string, string> {
  const owner = new Map<string, { flavour: string; source: string }>();
  const dirOwner = new Map<string, string>();
  const clash = (path: string, first: string, firstSource: string, second: string, secondSource: string): UsageError =>
    new UsageError(
      `${path} is in flavour "${first}" (${firstSource}) and in flavour "${second}" (${secondSource})`,
      'rename one of them: the folders of all flavours merge into one hook tree, where each file can come from one flavour only',
    );
  for (const tree of trees) {
    for (const dir of tree.dirs) if (!dirOwner.has(dir)) dirOwner.set(dir, tree.flavour);
  }
  for (const tree of trees) {
    for (const [path, source] of tree.files) {
      const other = owner.get(path);
      if (other && other.flavour !== tree.flavour) throw clash(path, other.flavour, other.source, tree.flavour, source);
      const dirFlavour = dirOwner.get(path);
      if (dirFlavour !== undefined) throw clash(path, tree.flavour, source, dirFlavour, 'a folder there');
      owner.set(path, { flavour: tree.flavour, source });
    }
  }
  return new Map([...owner].map(([path, { flavour }]) => [path, flavour]));
}

/** Lists the flavours and checks their merge (what the dry run and the build both call). */
export function checkHookTree(flavours: readonly { name: string; path: string }[]): FlavourTree[] {
  const trees = flavours.map(listFlavourTree);
  planHookTree(trees);
  return trees;
}

/** Builds the merged hook tree at `hooksDir` from the plan's flavours. */
export async function buildHookTree(hooksDir: string, flavours: readonly { name: string; path: string }[]): Promise<void> {
  await mkdir(hooksDir, { recursive: true });
  const trees = checkHookTree(flavours);
  for (const tree of trees) {
    for (const dir of tree.dirs) await mkdir(join(hooksDir, dir), { recursive: true });
    for (const [path, source] of tree.files) await cp(source, join(hooksDir, path), { dereference: true, force: true });
    for (const [name, source] of tree.topFiles) await cp(source, join(hooksDir, name), { dereference: true, force: true });
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

/** True if the hook tree has `relative` (e.g. `bin/install-packages`). */
export function hookTreeHas(hooksDir: string, relative: string): boolean {
  return existsSync(join(hooksDir, relative));
}
