// diskimage-builder's name maps, read natively: each flavour's `pkg-map` (JSON: package names per
// default, OS family, distribution and release) and `svc-map` (YAML: service names per default,
// family and distribution). kiln checks them while planning, so a broken file fails the dry run
// with its path, and turns them into flat tab-separated tables (`scope<TAB>name<TAB>value`) that
// the pkg-map and svc-map flavours' shell commands read inside the image, where no JSON or YAML
// parser can be assumed. Which distribution applies is decided there, at run time, from
// DISTRO_NAME and DIB_RELEASE, exactly as DIB's Python commands do. Parsing is pure.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';

/** A name → value table (a value may name several packages, or be empty: "none"). */
type NameTable = Record<string, string>;

/** One row of a flat table: scope (`default`, `family:debian`, `distro:ubuntu`, `release:ubuntu:jammy`), name, value. */
export type MapRow = [scope: string, name: string, value: string];

const PKG_HINT = 'pkg-map is JSON: {"default": {name: package}, "family": {family: {...}}, "distro": {distro: {...}}, "release": {distro: {release: {...}}}}';
const SVC_HINT = 'svc-map is YAML: service name → {default: name, <family or distribution>: name}';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nameTable(value: unknown, where: string, file: string, hint: string): NameTable {
  if (!isObject(value)) throw new ConfigError(`${where} must map names to names`, file, hint);
  const table: NameTable = {};
  for (const [name, mapped] of Object.entries(value)) {
    if (typeof mapped !== 'string') throw new ConfigError(`${where}: "${name}" must map to a string, got ${JSON.stringify(mapped)}`, file, hint);
    if (/[\t\n]/.test(name) || /[\t\n]/.test(mapped)) throw new ConfigError(`${where}: "${name}" has a tab or a newline`, file, hint);
    table[name] = mapped;
  }
  return table;
}

function tablesOf(value: unknown, where: string, file: string): Record<string, unknown> {
  if (!isObject(value)) throw new ConfigError(`"${where}" must map names to tables`, file, PKG_HINT);
  return value;
}

/** Parses a pkg-map file into flat rows; throws ConfigError naming the file. */
export function parsePkgMap(file: string, text: string): MapRow[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`not valid JSON: ${(error as Error).message}`, file, PKG_HINT);
  }
  if (!isObject(data)) throw new ConfigError('must be a JSON object', file, PKG_HINT);
  const rows: MapRow[] = [];
  const add = (scope: string, table: NameTable) => {
    for (const [name, value] of Object.entries(table)) rows.push([scope, name, value]);
  };
  for (const [key, value] of Object.entries(data)) {
    if (key === 'default') add('default', nameTable(value, '"default"', file, PKG_HINT));
    else if (key === 'family' || key === 'distro') {
      for (const [group, table] of Object.entries(tablesOf(value, key, file))) add(`${key}:${group}`, nameTable(table, `"${key}"."${group}"`, file, PKG_HINT));
    } else if (key === 'release') {
      for (const [distro, releases] of Object.entries(tablesOf(value, key, file))) {
        for (const [release, table] of Object.entries(tablesOf(releases, `release.${distro}`, file))) {
          add(`release:${distro}:${release}`, nameTable(table, `"release"."${distro}"."${release}"`, file, PKG_HINT));
        }
      }
    } else {
      throw new ConfigError(`unknown key "${key}"`, file, PKG_HINT);
    }
  }
  return rows;
}

/** Parses a svc-map file: service → rows (scope `default` or the family/distribution key). */
export function parseSvcMap(file: string, text: string): MapRow[] {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`not valid YAML: ${(error as Error).message.split('\n')[0]}`, file, SVC_HINT);
  }
  if (data === null || data === undefined) return [];
  if (!isObject(data)) throw new ConfigError('must map service names to their names per distribution', file, SVC_HINT);
  const rows: MapRow[] = [];
  for (const [service, mapping] of Object.entries(data)) {
    // A service with no mapping keeps its name (DIB: "else: result[servicename] = servicename").
    if (mapping === null) {
      rows.push(['default', service, service]);
      continue;
    }
    for (const [key, value] of Object.entries(nameTable(mapping, `service "${service}"`, file, SVC_HINT))) rows.push([key, service, value]);
  }
  return rows;
}

/** Merges the flavours' svc-maps; a service in two flavours is an error, as in DIB. */
export function mergeSvcMaps(maps: readonly { flavour: string; file: string; rows: MapRow[] }[]): MapRow[] {
  const owner = new Map<string, string>();
  const merged: MapRow[] = [];
  for (const { flavour, file, rows } of maps) {
    for (const service of new Set(rows.map(([, name]) => name))) {
      const other = owner.get(service);
      if (other !== undefined) {
        throw new ConfigError(`service "${service}" is already mapped by flavour "${other}"`, file, `keep the mapping of "${service}" in one flavour's svc-map`);
      }
      owner.set(service, flavour);
    }
    merged.push(...rows);
  }
  return merged;
}

/** The table as a file: one `scope<TAB>name<TAB>value` line per row. */
export function renderRows(rows: readonly MapRow[]): string {
  return rows.map((row) => `${row.join('\t')}\n`).join('');
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Reads and checks the resolved flavours' maps; returns the hook-tree files kiln's pkg-map and
 * svc-map flavours read (`.kiln/pkg-map/<flavour>`, `.kiln/svc-map`). */
export function nameMapFiles(flavours: readonly { name: string; path: string }[], dir = '.kiln'): Record<string, string> {
  const files: Record<string, string> = {};
  const svcMaps: { flavour: string; file: string; rows: MapRow[] }[] = [];
  for (const flavour of flavours) {
    const pkgMap = join(flavour.path, 'pkg-map');
    if (isFile(pkgMap)) files[`${dir}/pkg-map/${flavour.name}`] = renderRows(parsePkgMap(pkgMap, readFileSync(pkgMap, 'utf8')));
    const svcMap = join(flavour.path, 'svc-map');
    if (isFile(svcMap)) svcMaps.push({ flavour: flavour.name, file: svcMap, rows: parseSvcMap(svcMap, readFileSync(svcMap, 'utf8')) });
  }
  if (svcMaps.length) files[`${dir}/svc-map`] = renderRows(mergeSvcMaps(svcMaps));
  return files;
}
