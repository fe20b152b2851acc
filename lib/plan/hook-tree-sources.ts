// What the merged hook tree ($TMP_HOOKS_PATH) is made of: every top-level folder of every flavour
// (phase folders, environment.d, bin, static, ...) and its top-level files (the last flavour wins,
// as in DIB). Folders merge; a file that two flavours ship at the same place is an error naming
// both (DIB's copy_hooks_not_overwrite), found here, before anything runs. Reads the flavours'
// folders; the engine copies what this lists (engine/hook-tree.ts).
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

/** Every file and folder a source puts into a folder of the tree (`bin/install-packages`,
 * `static/etc`), links followed as the copy follows them; a link back to a folder above it is
 * refused (the copy would never end). */
function folderEntries(source: HookTreeSource): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [...source.folders];
  const walk = (dir: string, relative: string, above: ReadonlySet<string>): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat?.isFile()) files.push(`${relative}/${name}`);
      if (!stat?.isDirectory()) continue;
      const real = realpathSync(path);
      if (above.has(real)) {
        throw new UsageError(`${source.path}/${relative}/${name} links back to a folder above it (flavour "${source.flavour}")`, 'remove the link: the hook tree copies what links point to');
      }
      dirs.push(`${relative}/${name}`);
      walk(path, `${relative}/${name}`, new Set([...above, real]));
    }
  };
  for (const folder of source.folders) walk(join(source.path, folder), folder, new Set([realpathSync(source.path), realpathSync(join(source.path, folder))]));
  return { files, dirs };
}

/** Throws if two flavours ship a file at the same place in a folder of the tree, or one ships a
 * file (at any depth, top-level files included) where another has a folder, empty or not: the
 * copy would fail half-way through the build. Folders themselves merge; top-level files of two
 * flavours do not clash (the last one wins, as in DIB). */
function checkCollisions(sources: readonly HookTreeSource[]): void {
  const listed = sources.map((source) => ({ source, ...folderEntries(source) }));
  const folderOwner = new Map<string, string>();
  for (const { source, dirs } of listed) {
    for (const dir of dirs) if (!folderOwner.has(dir)) folderOwner.set(dir, source.flavour);
  }
  const owner = new Map<string, string>();
  for (const { source, files } of listed) {
    for (const file of [...source.files, ...files]) {
      const folder = folderOwner.get(file);
      if (folder !== undefined) {
        throw new UsageError(`${file} is a file in flavour "${source.flavour}" and a folder in flavour "${folder}"`, 'rename one of them: all flavours share one hook tree');
      }
      if (!file.includes('/')) continue;
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
