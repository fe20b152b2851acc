// Library closure: every file a set of programs needs to run, found the way the image's dynamic
// loader would find it (ld.so(8)): the program interpreter, then for each DT_NEEDED name
// DT_RPATH (only when there is no DT_RUNPATH), DT_RUNPATH, the folders of the image's
// ld.so.conf, then the built-in folders; a candidate of another ELF class or machine is skipped,
// as the loader does (/usr/lib32 next to /usr/lib). Scripts bring their interpreter. Pure over a
// RootView, so the rules are unit-tested on an in-memory tree.
import { posix } from 'node:path';
import { parseElf, shebang, type ElfInfo } from './elf.js';
import { librarySearchDirs, multiarchTriplet } from './ld-conf.js';
import { findProgram, resolveInRoot, type RootLink, type RootView } from './root-view.js';

/** What to leave out. */
export interface ClosureOptions {
  /** Script interpreters the ramdisk provides itself (busybox is /bin/sh): not copied. */
  skipInterpreters?: ReadonlySet<string>;
  /** Parsed files kept across calls over the same root (newClosureCache()). */
  cache?: ClosureCache;
}

/** A name an object needs that could not be found. */
export interface MissingLibrary {
  /** The program or library that needs it. */
  object: string;
  library: string;
}

/** Everything to copy so that the programs run. */
export interface LibraryClosure {
  /** Regular files, by their resolved paths, sorted. */
  files: string[];
  /** Links met on the way (to recreate as they are), sorted by path. */
  links: RootLink[];
  missing: MissingLibrary[];
}

interface Pending {
  path: string;
  /** Who needs it, for messages. */
  by: string;
}

/** Computes the closure of `programs` (absolute paths inside the root). */
export function libraryClosure(view: RootView, programs: readonly string[], options: ClosureOptions = {}): LibraryClosure {
  const caches = options.cache ?? newClosureCache();
  const files = new Set<string>();
  const links = new Map<string, string>();
  const missing: MissingLibrary[] = [];
  // One walk per program: what one program has loaded does not satisfy another's needs.
  for (const program of programs) {
    const walk = new ClosureWalker(view, options, caches);
    walk.add({ path: program, by: program });
    walk.run();
    walk.files.forEach((f) => files.add(f));
    walk.links.forEach((target, path) => links.set(path, target));
    for (const m of walk.missing) if (!missing.some((x) => x.object === m.object && x.library === m.library)) missing.push(m);
  }
  return {
    files: [...files].sort(),
    links: [...links].map(([path, target]) => ({ path, target })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    missing,
  };
}

/** What a file is to the loader: an ELF object, a script with its interpreter line, or data. */
export interface FileInfo {
  elf: ElfInfo | undefined;
  shebang: string[] | undefined;
}

/** Parsed files and search folders, shared by the walks of one closure (each file is read once). */
export interface ClosureCache {
  files: Map<string, FileInfo>;
  dirs: Map<string, string[]>;
}

/** An empty cache, to share between libraryClosure calls over one unchanged root. */
export function newClosureCache(): ClosureCache {
  return { files: new Map(), dirs: new Map() };
}

/** Walks one program breadth-first, as the loader maps objects. */
class ClosureWalker {
  private readonly queue: Pending[] = [];
  readonly files = new Set<string>();
  readonly links = new Map<string, string>();
  readonly missing: MissingLibrary[] = [];
  /** Libraries loaded so far by the name they were asked for: the loader reuses them. */
  private readonly loaded = new Map<string, string>();

  constructor(
    private readonly view: RootView,
    private readonly options: ClosureOptions,
    private readonly caches: ClosureCache,
  ) {}

  add(item: Pending): void {
    this.queue.push(item);
  }

  run(): void {
    while (this.queue.length) this.visit(this.queue.shift()!);
  }

  private visit(item: Pending): void {
    const resolved = resolveInRoot(this.view, item.path);
    if (!resolved || resolved.stat.kind !== 'file') {
      this.missing.push({ object: item.by, library: item.path });
      return;
    }
    for (const link of resolved.links) this.links.set(link.path, link.target);
    if (this.files.has(resolved.path)) return;
    this.files.add(resolved.path);
    const info = this.info(resolved.path);
    if (info.elf) this.visitElf(resolved.path, info.elf);
    else if (info.shebang) this.visitScript(resolved.path, info.shebang);
  }

  private info(path: string): FileInfo {
    let info = this.caches.files.get(path);
    if (!info) {
      const buf = this.view.read(path);
      info = { elf: parseElf(buf), shebang: shebang(buf) };
      this.caches.files.set(path, info);
    }
    return info;
  }

  private visitElf(path: string, elf: ElfInfo): void {
    if (elf.interpreter) this.add({ path: elf.interpreter, by: path });
    const origin = posix.dirname(path);
    const expand = (dir: string): string => expandTokens(dir, origin, elf);
    // DT_RPATH is ignored when DT_RUNPATH is present (ld.so(8)).
    const own = [...(elf.runpath.length ? [] : elf.rpath), ...elf.runpath].map(expand);
    for (const name of elf.needed) {
      // An object already loaded under this name is used again without searching (ld.so).
      const found = name.includes('/') ? name : (this.loaded.get(name) ?? this.findLibrary(name, [...own, ...this.systemDirs(elf)], elf));
      if (!found) {
        this.missing.push({ object: path, library: name });
        continue;
      }
      this.loaded.set(name, found);
      this.add({ path: found, by: path });
    }
  }

  private visitScript(path: string, words: string[]): void {
    const [interpreter, argument] = words as [string, ...string[]];
    if (!this.options.skipInterpreters?.has(interpreter)) this.add({ path: interpreter, by: path });
    if (posix.basename(interpreter) === 'env' && argument && !argument.startsWith('-')) {
      const program = argument.startsWith('/') ? argument : findProgram(this.view, argument);
      if (program && !this.options.skipInterpreters?.has(program)) this.add({ path: program, by: path });
      else if (!program) this.missing.push({ object: path, library: argument });
    }
  }

  private systemDirs(elf: ElfInfo): string[] {
    const key = `${elf.machine}/${elf.bits}`;
    if (!this.caches.dirs.has(key)) this.caches.dirs.set(key, librarySearchDirs(this.view, elf.machine, elf.bits));
    return this.caches.dirs.get(key)!;
  }

  /** The first candidate that exists and matches the needing object's class and machine. */
  private findLibrary(name: string, dirs: readonly string[], needer: ElfInfo): string | undefined {
    for (const dir of dirs) {
      const candidate = posix.join(dir, name);
      const resolved = resolveInRoot(this.view, candidate);
      if (resolved?.stat.kind !== 'file') continue;
      const elf = this.info(resolved.path).elf;
      if (elf && elf.machine === needer.machine && elf.bits === needer.bits) return candidate;
    }
    return undefined;
  }
}

/** Expands $ORIGIN, $LIB and $PLATFORM in an RPATH/RUNPATH entry (ld.so(8) "Dynamic string tokens"). */
export function expandTokens(dir: string, origin: string, elf: Pick<ElfInfo, 'machine' | 'bits'>): string {
  const triplet = multiarchTriplet(elf.machine, elf.bits);
  const lib = triplet ? `lib/${triplet}` : elf.bits === 64 ? 'lib64' : 'lib';
  const platform = elf.machine === 62 ? 'x86_64' : elf.machine === 183 ? 'aarch64' : 'unknown';
  const expanded = dir
    .replace(/\$(\{ORIGIN\}|ORIGIN)/g, origin)
    .replace(/\$(\{LIB\}|LIB)/g, lib)
    .replace(/\$(\{PLATFORM\}|PLATFORM)/g, platform);
  // A relative entry is relative to the working directory, which is / when /init runs.
  return posix.normalize(posix.join('/', expanded));
}
