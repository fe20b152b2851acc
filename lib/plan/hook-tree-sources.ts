// What the merged hook tree ($TMP_HOOKS_PATH) is made of: every top-level folder of every flavour
// (phase folders, environment.d, bin, static, ...) and its top-level files (the last flavour wins,
// as in DIB). Folders merge; a file that two flavours ship at the same place is an error naming
// both (DIB's copy_hooks_not_overwrite), found here, before anything runs. Reads the flavours'
// folders; the engine copies what this lists (engine/hook-tree.ts).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fg from 'fast-glob';
import { UsageError } from '../errors.js';
import type { PlannedFlavour } from './build-plan.js';

/** Folders of a flavour that are never part of the hook tree. */
const SKIPPED_DIRS: ReadonlySet<string> = new Set(['tests', 'test-elements', '__pycache__', '.git']);

/** What one flavour puts into the hook tree. */
export interface HookTreeSource {
  flavour: string;
  path: string;
  /** Top-level folders, merged into the tree's folders of the same name. */
  folders: string[];
  /** Top-level files, copied to the tree's top level. */
  files: string[];
}

function listSource(flavour: PlannedFlavour): HookTreeSource {
  const folders: string[] = [];
  const files: string[] = [];
  for (const name of readdirSync(flavour.path).sort()) {
    if (SKIPPED_DIRS.has(name)) continue;
    const stat = statSync(join(flavour.path, name), { throwIfNoEntry: false });
    if (stat?.isDirectory()) folders.push(name);
    else if (stat?.isFile() && !name.endsWith('.pyc')) files.push(name);
  }
  return { flavour: flavour.name, path: flavour.path, folders, files };
}

/** Every file a source puts into a folder of the tree (`bin/install-packages`, `static/etc/x`). */
function folderFiles(source: HookTreeSource): string[] {
  return source.folders.flatMap((folder) =>
    fg.sync('**/*', { cwd: join(source.path, folder), dot: true, onlyFiles: true, followSymbolicLinks: true }).map((f) => `${folder}/${f}`));
}

/** Throws if two flavours ship a file at the same place in a folder of the tree. */
function checkCollisions(sources: readonly HookTreeSource[], files: (s: HookTreeSource) => string[] = folderFiles): void {
  const owner = new Map<string, string>();
  for (const source of sources) {
    for (const file of files(source)) {
      const other = owner.get(file);
      if (other !== undefined && other !== source.flavour) {
        throw new UsageError(`${file} exists in flavour "${other}" and in flavour "${source.flavour}"`, 'rename one of them: all flavours share one hook tree');
      }
      owner.set(file, source.flavour);
    }
  }
}

/** Lists what each flavour puts into the hook tree and checks that no two collide. */
export function hookTreeSources(flavours: readonly PlannedFlavour[]): HookTreeSource[] {
  const sources = flavours.map(listSource);
  checkCollisions(sources);
  return sources;
}

/** True if some flavour puts `relative` (`bin/install-packages`) into the hook tree. */
export function hookTreeHas(sources: readonly HookTreeSource[], relative: string): boolean {
  const [folder] = relative.split('/');
  return sources.some((s) => s.folders.includes(folder!) && statSync(join(s.path, relative), { throwIfNoEntry: false }) !== undefined);
}
