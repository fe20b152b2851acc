// Which installed packages own some files of the image root: dpkg's file lists
// (/var/lib/dpkg/info/PACKAGE[:ARCH].list) read against the files, both sides resolved inside
// the root (Debian's packages list /lib/..., merged-/usr roots keep it in /usr/lib/...). A ramdisk
// holds a few files of its build root: its SBOM lists the packages they came from. Pure over a
// RootView.
import { posix } from 'node:path';
import { resolveInRoot, type RootView } from '../ramdisk/root-view.js';

const INFO = '/var/lib/dpkg/info';

/** Names of the packages owning any of `paths` (paths inside the root). */
export function owningPackages(view: RootView, paths: readonly string[]): Set<string> {
  const real = (path: string): string | undefined => {
    try {
      return resolveInRoot(view, path)?.path;
    } catch {
      return undefined;
    }
  };
  const targets = new Set(paths.map(real).filter((p): p is string => p !== undefined));
  const names = new Set([...targets].map((p) => posix.basename(p)));
  const owners = new Set<string>();
  const dir = resolveInRoot(view, INFO);
  if (dir?.stat.kind !== 'dir') return owners;
  for (const file of view.list(dir.path).filter((f) => f.endsWith('.list')).sort()) {
    const name = file.slice(0, -'.list'.length).replace(/:[a-z0-9]+$/, '');
    const lines = view.read(posix.join(dir.path, file)).toString('utf8').split('\n');
    // Only names that match are resolved: a root has tens of thousands of listed files.
    if (lines.some((line) => names.has(posix.basename(line)) && targets.has(real(line) ?? ''))) owners.add(name);
  }
  return owners;
}
