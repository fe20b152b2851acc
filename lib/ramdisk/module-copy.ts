// Copies the chosen kernel modules into the ramdisk tree, uncompressed (the whole initramfs is
// compressed anyway, and busybox modprobe may not read .ko.xz/.ko.zst), with the firmware files
// they name that the image has, then rebuilds the module index for the ramdisk's own set with
// `depmod -b` (so modprobe there knows exactly what is present).
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { modinfoValues } from './elf.js';
import { parseModuleIndex, type ModuleIndex } from './modules.js';
import { resolveInRoot, type RootView } from './root-view.js';
import { copyFromRoot, inTree, writeLinks } from './staging.js';
import { mkdir } from 'node:fs/promises';

/** Index files copied along with the modules (depmod and modprobe read them). */
const INDEX_EXTRAS = ['modules.order', 'modules.builtin', 'modules.builtin.modinfo'];

const DECOMPRESSORS: Record<string, string[]> = {
  '.xz': ['xz', '-dc'],
  '.zst': ['zstd', '-dcq'],
  '.gz': ['gzip', '-dc'],
};

/** Reads the module index of the folder `modulesDir` (a resolved path inside the root). */
export function readModuleIndex(view: RootView, modulesDir: string): ModuleIndex {
  const read = (name: string): string | undefined => {
    const resolved = resolveInRoot(view, posix.join(modulesDir, name));
    return resolved?.stat.kind === 'file' ? view.read(resolved.path).toString('utf8') : undefined;
  };
  const dep = read('modules.dep');
  if (dep === undefined) throw new Error(`${modulesDir}/modules.dep is missing`);
  return parseModuleIndex({ dep, builtin: read('modules.builtin'), softdep: read('modules.softdep'), alias: read('modules.alias') });
}

/** Where a module lands in the tree: same folder, without a compression suffix (pure). */
function uncompressedName(path: string): string {
  return path.replace(/\.ko\.(xz|zst|gz)$/, '.ko');
}

/** Copies module files (relative to `modulesDir`) into the tree; returns their tree paths. */
export async function copyModules(opts: {
  root: string; tree: string; modulesDir: string; paths: readonly string[]; log: LogSink; signal?: AbortSignal;
}): Promise<string[]> {
  const out: string[] = [];
  for (const rel of opts.paths) {
    const from = posix.join(opts.modulesDir, rel);
    const to = posix.join(opts.modulesDir, uncompressedName(rel));
    const suffix = posix.extname(rel);
    const decompress = DECOMPRESSORS[suffix];
    if (decompress) {
      await mkdir(posix.dirname(inTree(opts.tree, to)), { recursive: true });
      await run([...decompress, inTree(opts.root, from)], { stdoutFile: inTree(opts.tree, to), log: opts.log, signal: opts.signal, what: `decompressing module ${rel}` });
    } else {
      await copyFromRoot(opts.root, opts.tree, from, 0o644, opts.log);
    }
    out.push(to);
  }
  for (const name of INDEX_EXTRAS) {
    if (existsSync(inTree(opts.root, posix.join(opts.modulesDir, name)))) await copyFromRoot(opts.root, opts.tree, posix.join(opts.modulesDir, name), 0o644, opts.log);
  }
  return out;
}

/** Firmware files the copied modules name that exist in the image (resolved, with their links). */
export function firmwareFor(view: RootView, tree: string, modules: readonly string[]): { files: string[]; links: { path: string; target: string }[]; absent: number } {
  const files = new Set<string>();
  const links = new Map<string, string>();
  let absent = 0;
  for (const module of modules) {
    for (const name of modinfoValues(readFileSync(inTree(tree, module)), 'firmware')) {
      const found = ['', '.zst', '.xz']
        .map((suffix) => resolveInRoot(view, `/lib/firmware/${name}${suffix}`))
        .find((r) => r?.stat.kind === 'file');
      if (!found) {
        absent++;
        continue;
      }
      files.add(found.path);
      for (const l of found.links) links.set(l.path, l.target);
    }
  }
  return { files: [...files].sort(), links: [...links].map(([path, target]) => ({ path, target })), absent };
}

/** Copies firmware files into the tree. */
export async function copyFirmware(root: string, tree: string, firmware: ReturnType<typeof firmwareFor>, log: LogSink): Promise<void> {
  await writeLinks(tree, firmware.links);
  for (const file of firmware.files) await copyFromRoot(root, tree, file, 0o644, log);
}

/** Rebuilds modules.dep and friends for the modules in the tree. */
export async function runDepmod(tree: string, version: string, log: LogSink, signal?: AbortSignal): Promise<void> {
  await run(['depmod', '-b', tree, version], { log, signal, what: `depmod indexing the ramdisk's modules for ${version}` });
}
