// Kernel modules of the ramdisk: which module files to copy for a list of module names, from the
// image's /lib/modules/VERSION index files. A name may be a module (with its modules.dep
// dependencies and its modules.softdep pre/post modules, which modprobe loads too: ext4 needs
// crc32c that way), built into the kernel (modules.builtin: nothing to copy), an exact alias
// (`crypto-crc32c`), or unknown to this kernel. Pure: works on the index files' text.

/** The parsed index of one kernel's modules. */
export interface ModuleIndex {
  /** Module name → its file (relative to /lib/modules/VERSION) and the names it depends on. */
  modules: Map<string, { path: string; deps: string[] }>;
  builtin: Set<string>;
  /** Module name → names modprobe loads before or after it. */
  softdeps: Map<string, string[]>;
  /** Exact (wildcard-free) alias → module names. */
  aliases: Map<string, string[]>;
}

/** Index file contents of /lib/modules/VERSION. */
export interface ModuleIndexFiles {
  dep: string;
  builtin?: string;
  softdep?: string;
  alias?: string;
}

/** A module name wanted in the ramdisk. */
export interface ModuleRequest {
  name: string;
  /** Who asks: `kiln` for the built-in list, else the flavour. */
  by: string;
}

/** What to copy. */
export interface ModuleSelection {
  /** Module files relative to /lib/modules/VERSION, sorted. */
  paths: string[];
  /** Requested names the kernel has built in. */
  builtin: string[];
  /** Requested names this kernel does not know. */
  missing: ModuleRequest[];
}

/** The module name of a path or name: no folder, no .ko[.xz|.zst|.gz], `-` as `_` (as kmod does). */
export function moduleName(pathOrName: string): string {
  const base = pathOrName.split('/').pop() ?? pathOrName;
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
}

function parseDep(text: string): ModuleIndex['modules'] {
  const modules: ModuleIndex['modules'] = new Map();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean).map(moduleName);
    modules.set(moduleName(path), { path, deps });
  }
  return modules;
}

function parseSoftdep(text: string): ModuleIndex['softdeps'] {
  const softdeps: ModuleIndex['softdeps'] = new Map();
  for (const line of text.split('\n')) {
    const words = line.replace(/#.*/, '').trim().split(/\s+/);
    if (words[0] !== 'softdep' || !words[1]) continue;
    // Kept as written: a soft dependency is often an alias (crypto-crc32c), not a module name.
    const names = words.slice(2).filter((w) => w !== 'pre:' && w !== 'post:');
    const key = moduleName(words[1]);
    softdeps.set(key, [...(softdeps.get(key) ?? []), ...names]);
  }
  return softdeps;
}

function parseAliases(text: string): ModuleIndex['aliases'] {
  const aliases: ModuleIndex['aliases'] = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('alias ')) continue;
    const [, alias, module] = line.split(/\s+/);
    if (!alias || !module || /[*?[\]]/.test(alias)) continue;
    aliases.set(alias, [...(aliases.get(alias) ?? []), moduleName(module)]);
  }
  return aliases;
}

/** Parses the index files of one kernel. */
export function parseModuleIndex(files: ModuleIndexFiles): ModuleIndex {
  return {
    modules: parseDep(files.dep),
    builtin: new Set((files.builtin ?? '').split('\n').filter(Boolean).map(moduleName)),
    softdeps: parseSoftdep(files.softdep ?? ''),
    aliases: parseAliases(files.alias ?? ''),
  };
}

/** Module files needed for `requests`, with dependencies; unknown names are returned, not thrown. */
export function selectModules(index: ModuleIndex, requests: readonly ModuleRequest[]): ModuleSelection {
  const chosen = new Set<string>();
  const builtin = new Set<string>();
  const missing: ModuleRequest[] = [];
  const add = (name: string, optional: boolean, depth: number): boolean => {
    const key = moduleName(name);
    if (index.builtin.has(key)) {
      if (depth === 0) builtin.add(key);
      return true;
    }
    const module = index.modules.get(key);
    if (module) {
      if (chosen.has(key)) return true;
      chosen.add(key);
      for (const dep of module.deps) add(dep, true, depth + 1);
      for (const soft of index.softdeps.get(key) ?? []) add(soft, true, depth + 1);
      return true;
    }
    // modprobe loads every module an alias names (crc32c_generic and crc32c_intel).
    const viaAlias = depth < 4 ? (index.aliases.get(name) ?? []).map((m) => add(m, true, depth + 1)) : [];
    return viaAlias.includes(true) || optional;
  };
  for (const request of requests) {
    if (!add(request.name, false, 0)) missing.push(request);
  }
  const paths = [...chosen].map((name) => index.modules.get(name)!.path).sort();
  return { paths, builtin: [...builtin].sort(), missing };
}
