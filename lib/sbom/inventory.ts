// Reads what an image holds from its finished tree, without running anything in it: the
// installed Debian packages (dpkg's status database), their declared licenses (copyright files),
// the repositories that offered them (recorded by the debian flavour before the package lists
// went), the apt sources and /etc/os-release. Paths are resolved inside the image root: links
// never lead out of it.
import { posix } from 'node:path';
import { diskRootView, resolveInRoot, type RootView } from '../ramdisk/root-view.js';
import { parseAptPolicy, parseListFile, parseSourcesFile, type AptSource } from './apt.js';
import { declaredLicense, type DeclaredLicense } from './copyright.js';
import { automaticallyInstalled, installedPackages, type DebPackage } from './dpkg-status.js';

/** Where the debian flavour records `apt-cache policy` of the installed packages (removed by kiln). */
const APT_POLICY_RECORD = '/var/lib/kiln/apt-policy';

/** One installed package with what the image says about it. */
export interface InventoryPackage extends DebPackage {
  /** From /usr/share/doc/NAME/copyright; undefined when the package ships none. */
  license: DeclaredLicense | undefined;
  /** Repositories (`URI SUITE/COMPONENT`) that offered the installed version, when recorded. */
  repositories: string[];
}

/** What the image holds. */
export interface ImageInventory {
  packages: InventoryPackage[];
  /** /etc/os-release (or /usr/lib/os-release) fields. */
  osRelease: Record<string, string>;
  aptSources: AptSource[];
}

/** Reads a text file inside the root, or undefined. */
export function readInRoot(view: RootView, path: string): string | undefined {
  try {
    const resolved = resolveInRoot(view, path);
    return resolved?.stat.kind === 'file' ? view.read(resolved.path).toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** `KEY="value"` lines of os-release(5). */
function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) out[match[1]!] = match[2]!.replace(/^(["'])(.*)\1$/, '$2').replace(/\\(.)/g, '$1');
  }
  return out;
}

function aptSourcesOf(view: RootView): AptSource[] {
  const sources: AptSource[] = [];
  const list = readInRoot(view, '/etc/apt/sources.list');
  if (list) sources.push(...parseListFile('/etc/apt/sources.list', list));
  const dir = resolveInRoot(view, '/etc/apt/sources.list.d');
  const names = dir?.stat.kind === 'dir' ? view.list(dir.path).sort() : [];
  for (const name of names) {
    const path = posix.join('/etc/apt/sources.list.d', name);
    const text = readInRoot(view, path);
    if (text === undefined) continue;
    if (name.endsWith('.sources')) sources.push(...parseSourcesFile(path, text));
    else if (name.endsWith('.list')) sources.push(...parseListFile(path, text));
  }
  return sources;
}

/** Reads the inventory of the image root `view` (a folder: diskRootView(root)). */
export function readInventory(view: RootView): ImageInventory {
  const automatic = automaticallyInstalled(readInRoot(view, '/var/lib/apt/extended_states') ?? '');
  const origins = parseAptPolicy(readInRoot(view, APT_POLICY_RECORD) ?? '');
  const packages = installedPackages(readInRoot(view, '/var/lib/dpkg/status') ?? '').map((p): InventoryPackage => {
    const where = `/usr/share/doc/${p.name}/copyright`;
    const copyright = readInRoot(view, where);
    return {
      ...p,
      automatic: automatic.has(`${p.name}:${p.architecture}`) || automatic.has(`${p.name}:`),
      license: copyright === undefined ? undefined : declaredLicense(copyright, where),
      repositories: origins.get(p.name) ?? [],
    };
  });
  const osRelease = parseOsRelease(readInRoot(view, '/etc/os-release') ?? readInRoot(view, '/usr/lib/os-release') ?? '');
  return { packages, osRelease, aptSources: aptSourcesOf(view) };
}

/** The inventory of the image root folder `root`. */
export function readInventoryOf(root: string): ImageInventory {
  return readInventory(diskRootView(root));
}
