// What apt knows about where packages come from: the image's sources (deb822 .sources files and
// one-line .list files) and `apt-cache policy` output, which names the repositories that offer
// each installed version (the debian flavour records it before removing the package lists).
// Pure.
import { fieldOf, parseDeb822 } from './deb822.js';

/** One apt source: where, which suites, which components. */
export interface AptSource {
  /** The file it is written in, inside the image. */
  file: string;
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
}

/** Sources of a deb822 `.sources` file. */
export function parseSourcesFile(file: string, text: string): AptSource[] {
  return parseDeb822(text)
    .filter((p) => (fieldOf(p, 'Enabled') ?? 'yes') !== 'no')
    .map((p) => ({
      file,
      types: words(fieldOf(p, 'Types')),
      uris: words(fieldOf(p, 'URIs')),
      suites: words(fieldOf(p, 'Suites')),
      components: words(fieldOf(p, 'Components')),
    }))
    .filter((s) => s.uris.length > 0);
}

/** Sources of a one-line `.list` file (`deb [options] URI SUITE COMPONENT...`). */
export function parseListFile(file: string, text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').replace(/\[[^\]]*\]/, ' ').trim();
    const [type, uri, suite, ...components] = line.split(/\s+/);
    if (!type || !uri || !suite || (type !== 'deb' && type !== 'deb-src')) continue;
    sources.push({ file, types: [type], uris: [uri], suites: [suite], components });
  }
  return sources;
}

function words(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter(Boolean);
}

/**
 * Repositories offering each package's installed version, from `apt-cache policy PKG...` output:
 * `name` (architecture qualifier dropped) → `URI SUITE/COMPONENT` lines, the local status file left out.
 */
export function parseAptPolicy(text: string): Map<string, string[]> {
  const origins = new Map<string, string[]>();
  let name: string | undefined;
  let inInstalled = false;
  for (const line of text.split('\n')) {
    const header = /^(\S+):$/.exec(line);
    if (header) {
      name = header[1]!.replace(/:[a-z0-9]+$/, '');
      inInstalled = false;
      continue;
    }
    if (!name) continue;
    const version = /^ (\*\*\*| {3}) (\S+) -?\d+$/.exec(line);
    if (version) {
      inInstalled = version[1] === '***';
      continue;
    }
    const source = /^\s+-?\d+\s+(\S+)\s+(\S+)\s+\S+\s+Packages$/.exec(line);
    if (inInstalled && source) {
      const list = origins.get(name) ?? [];
      list.push(`${source[1]!} ${source[2]!}`);
      origins.set(name, list);
    }
  }
  return origins;
}
