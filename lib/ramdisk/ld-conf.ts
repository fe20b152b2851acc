// The image's own library folders, as its dynamic loader would search them: /etc/ld.so.conf with
// its `include` globs (Debian: /etc/ld.so.conf.d/*.conf, where the multiarch folders such as
// /usr/lib/x86_64-linux-gnu are listed), then the loader's built-in folders. Read from the image
// root, never from the host.
import { posix } from 'node:path';
import type { RootView } from './root-view.js';
import { resolveInRoot } from './root-view.js';

/** Debian multiarch triplet of an ELF machine and class (the loader's built-in folders use it). */
export function multiarchTriplet(machine: number, bits: 32 | 64): string | undefined {
  switch (machine) {
    case 62:
      return bits === 64 ? 'x86_64-linux-gnu' : 'x86_64-linux-gnux32';
    case 3:
      return 'i386-linux-gnu';
    case 183:
      return 'aarch64-linux-gnu';
    case 40:
      return 'arm-linux-gnueabihf';
    case 243:
      return 'riscv64-linux-gnu';
    case 21:
      return 'powerpc64le-linux-gnu';
    case 22:
      return 's390x-linux-gnu';
    default:
      return undefined;
  }
}

/** Built-in folders of the loader, after ld.so.conf (glibc's trusted directories on Debian). */
export function defaultLibraryDirs(machine: number, bits: 32 | 64): string[] {
  const triplet = multiarchTriplet(machine, bits);
  const multiarch = triplet ? [`/lib/${triplet}`, `/usr/lib/${triplet}`] : [];
  const wordDirs = bits === 64 ? ['/lib64', '/usr/lib64'] : ['/lib32', '/usr/lib32'];
  return [...multiarch, ...wordDirs, '/lib', '/usr/lib'];
}

/** Matches one path component against a glob with `*` and `?` (what ld.so.conf includes use). */
function globMatch(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}

/** Paths in the root matching an absolute glob (wildcards allowed in any component), sorted. */
export function expandGlob(view: RootView, pattern: string): string[] {
  let paths = ['/'];
  for (const part of pattern.split('/').filter(Boolean)) {
    const next: string[] = [];
    for (const dir of paths) {
      if (!/[*?]/.test(part)) {
        const candidate = posix.join(dir, part);
        if (resolveInRoot(view, candidate)) next.push(candidate);
        continue;
      }
      const resolved = resolveInRoot(view, dir);
      if (resolved?.stat.kind !== 'dir') continue;
      const names = view.list(resolved.path).filter((n) => globMatch(part, n) && !(n.startsWith('.') && !part.startsWith('.')));
      next.push(...names.sort().map((n) => posix.join(dir, n)));
    }
    paths = next;
  }
  return paths;
}

/** Folders listed by an ld.so.conf file and the files it includes (depth-limited against loops). */
export function ldConfDirs(view: RootView, file = '/etc/ld.so.conf', depth = 0): string[] {
  const resolved = resolveInRoot(view, file);
  if (resolved?.stat.kind !== 'file' || depth > 8) return [];
  const dirs: string[] = [];
  for (const raw of view.read(resolved.path).toString('utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const include = /^include\s+(.+)$/.exec(line);
    if (include) {
      for (const pattern of include[1]!.split(/\s+/)) {
        const absolute = pattern.startsWith('/') ? pattern : posix.join(posix.dirname(file), pattern);
        for (const path of expandGlob(view, absolute)) dirs.push(...ldConfDirs(view, path, depth + 1));
      }
      continue;
    }
    // Old `dir=TYPE` hwcap suffixes are ignored by modern glibc too.
    for (const dir of line.split(/[\s:,]+/)) if (dir.startsWith('/')) dirs.push(dir.replace(/=.*$/, ''));
  }
  return dirs;
}

/** Every folder the loader searches after RPATH/RUNPATH, in order, without duplicates. */
export function librarySearchDirs(view: RootView, machine: number, bits: 32 | 64): string[] {
  return [...new Set([...ldConfDirs(view), ...defaultLibraryDirs(machine, bits)])];
}
