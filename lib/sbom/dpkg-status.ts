// The installed Debian packages of an image, from dpkg's database (/var/lib/dpkg/status): what
// `dpkg-query -W` reports, read without running anything in the image. Pure.
import { fieldOf, parseDeb822 } from './deb822.js';

/** One installed package. */
export interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  /** Source package name (the binary's own name when dpkg records none). */
  source: string;
  /** Source version (the binary's version unless `Source: name (version)` says otherwise). */
  sourceVersion: string;
  /** Names of the packages it depends on (Depends and Pre-Depends; the first of each alternative). */
  depends: string[];
  maintainer: string | undefined;
  homepage: string | undefined;
  /** First line of the description. */
  summary: string | undefined;
  /** Installed size in KiB, as dpkg records it. */
  installedSizeKiB: number | undefined;
  essential: boolean;
  /** dpkg's name for it: `name:arch` for Multi-Arch: same packages, else the name (`${binary:Package}`). */
  binaryPackage: string;
  /** `yes` when apt installed it as a dependency (apt's extended_states), if known. */
  automatic?: boolean;
}

/** dpkg's "installed" states: a package whose files are all on disk and configured. */
const INSTALLED = /^(install|hold) ok installed$/;

/** The names a Depends-like field mentions: `a (>= 1) | b, c:any` → a, c. */
export function dependencyNames(field: string | undefined): string[] {
  if (!field) return [];
  return field
    .split(',')
    .map((alternative) => alternative.split('|')[0]!.trim().split(/[\s(]/)[0]!.replace(/:(any|native|[a-z0-9-]+)$/, ''))
    .filter(Boolean);
}

/** Installed packages of a dpkg status file, sorted by name then architecture. */
export function installedPackages(statusText: string): DebPackage[] {
  const packages: DebPackage[] = [];
  for (const p of parseDeb822(statusText)) {
    const name = fieldOf(p, 'Package');
    const version = fieldOf(p, 'Version');
    if (!name || !version || !INSTALLED.test(fieldOf(p, 'Status') ?? '')) continue;
    const source = /^(\S+)(?:\s+\(([^)]+)\))?/.exec(fieldOf(p, 'Source') ?? '');
    const size = Number(fieldOf(p, 'Installed-Size'));
    packages.push({
      name,
      version,
      architecture: fieldOf(p, 'Architecture') ?? 'all',
      source: source?.[1] ?? name,
      sourceVersion: source?.[2] ?? version,
      depends: [...new Set([...dependencyNames(fieldOf(p, 'Pre-Depends')), ...dependencyNames(fieldOf(p, 'Depends'))])],
      maintainer: fieldOf(p, 'Maintainer'),
      homepage: fieldOf(p, 'Homepage'),
      summary: fieldOf(p, 'Description')?.split('\n')[0],
      installedSizeKiB: Number.isFinite(size) && size > 0 ? size : undefined,
      essential: fieldOf(p, 'Essential') === 'yes',
      binaryPackage: fieldOf(p, 'Multi-Arch') === 'same' ? `${name}:${fieldOf(p, 'Architecture') ?? 'all'}` : name,
    });
  }
  return packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.architecture < b.architecture ? -1 : 1));
}

/** Names apt marked as installed automatically (/var/lib/apt/extended_states, `Auto-Installed: 1`). */
export function automaticallyInstalled(extendedStates: string): Set<string> {
  const names = new Set<string>();
  for (const p of parseDeb822(extendedStates)) {
    const name = fieldOf(p, 'Package');
    if (name && fieldOf(p, 'Auto-Installed') === '1') names.add(`${name}:${fieldOf(p, 'Architecture') ?? ''}`);
  }
  return names;
}
