// A cache that others can write is refused: kiln (as root, or through sudo) unpacks layers and
// base trees from it and then runs hooks in them, so whoever can write the cache can run code as
// root. The cache folder, the folders kiln reads inside it and the files of the layer store must
// belong to this user (or root) and be writable by nobody else; with --cache-group GROUP they may
// also be writable by that one group, which is then trusted as much as root. The folders above the
// cache must not let others replace it either (sticky folders such as /tmp and /var/tmp are fine).
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';

/** Sub-folders of the cache whose content kiln unpacks or copies. */
const READ_FOLDERS = ['layers', 'outputs', 'debian', 'apt', 'apt/archives'];

/** Throws a UsageError when the cache can be written by someone other than this user, root and `group`. */
export function checkCacheTrust(cacheDir: string, group?: string): void {
  const gid = group === undefined ? undefined : groupId(group);
  checkAncestors(cacheDir);
  for (const path of [cacheDir, ...READ_FOLDERS.map((f) => join(cacheDir, f))]) checkEntry(path, gid, group);
  for (const name of listing(join(cacheDir, 'layers'))) checkEntry(join(cacheDir, 'layers', name), gid, group);
}

function checkEntry(path: string, gid: number | undefined, group: string | undefined): void {
  const stat = statOrUndefined(path);
  if (!stat) return;
  const problem = entryProblem(stat, gid);
  if (problem) {
    throw new UsageError(`the cache ${path} ${problem}: anyone who can write it can make kiln unpack and run their files as root`,
      group === undefined
        ? `make it yours and writable by you only (chown -R ${uid()} ${path}; chmod go-w ${path}), or pass --cache-group GROUP to share it with one group`
        : `give it to group ${group} (chgrp ${group} ${path}) and remove write access for others (chmod o-w ${path})`);
  }
}

/** Why an entry of the cache cannot be trusted, if it cannot (pure). */
export function entryProblem(stat: Pick<Stats, 'uid' | 'gid' | 'mode'>, gid: number | undefined, me = uid()): string | undefined {
  if (stat.uid !== me && stat.uid !== 0) return `belongs to another user (uid ${stat.uid})`;
  if (stat.mode & 0o002) return `is writable by everyone (mode ${mode(stat)})`;
  if (stat.mode & 0o020 && (gid === undefined || stat.gid !== gid)) {
    return gid === undefined ? `is writable by its group (gid ${stat.gid}, mode ${mode(stat)}) and no --cache-group was given` : `is writable by group ${stat.gid}, not the --cache-group`;
  }
  return undefined;
}

/** The folders above the cache: owned by root or this user, and not writable by others unless sticky. */
function checkAncestors(cacheDir: string): void {
  for (let dir = dirname(cacheDir); ; dir = dirname(dir)) {
    const stat = statOrUndefined(dir);
    const sticky = stat !== undefined && (stat.mode & 0o1000) !== 0;
    if (stat && !sticky && ((stat.uid !== 0 && stat.uid !== uid()) || stat.mode & 0o022)) {
      throw new UsageError(`the cache ${cacheDir} is inside ${dir}, which ${stat.uid !== 0 && stat.uid !== uid() ? `belongs to another user (uid ${stat.uid})` : `others can write (mode ${mode(stat)})`}: they could replace the cache`,
        'put the cache in a folder only you (or root) can write, e.g. --image-cache ~/.cache/kiln');
    }
    if (dir === dirname(dir)) return;
  }
}

/** The id of group `name` (from /etc/group); a name that is a number is taken as the id. */
function groupId(name: string, groupFile = '/etc/group'): number {
  if (/^\d+$/.test(name)) return Number(name);
  const line = readFileSync(groupFile, 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  if (!line) throw new UsageError(`--cache-group ${name}: no such group`, 'give an existing group (getent group NAME)');
  return Number(line.split(':')[2]);
}

function uid(): number {
  return process.geteuid?.() ?? 0;
}

function mode(stat: Pick<Stats, 'mode'>): string {
  return (stat.mode & 0o7777).toString(8).padStart(4, '0');
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function listing(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
