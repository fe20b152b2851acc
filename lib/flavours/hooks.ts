// Hook selection and ordering, as dib-run-parts does it, with kiln's stricter reporting: only
// executable regular files (or links to them) whose names match ^[0-9A-Za-z_-]+$ run; all
// flavours' hooks of a phase run in one merged order (`LANG=C sort -n`); the same hook name in
// one phase from two flavours is an error naming both; skipped files are reported as warnings
// instead of vanishing silently.
import { UsageError } from '../errors.js';
import type { DirEntryInfo } from './metadata.js';

/** A hook that will run. */
export interface Hook {
  name: string;
  flavour: string;
  path: string;
}

/** Hook names dib-run-parts accepts. */
export const HOOK_NAME = /^[0-9A-Za-z_-]+$/;

/** The numeric key `sort -n` reads from the start of a name (no leading number = 0). */
export function numericPrefix(name: string): number {
  const match = /^(-?)(\d+)/.exec(name);
  if (!match) return 0;
  const value = Number(match[2]);
  return match[1] ? -value : value;
}

/** Byte-order comparison, as LANG=C does it. */
export function compareBytes(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** Compares names the way `LANG=C sort -n` orders them. */
export function compareHookNames(a: string, b: string): number {
  return numericPrefix(a) - numericPrefix(b) || compareBytes(a, b);
}

/** Why a file in a phase folder does not run, or undefined if it does. */
function skipReason(entry: DirEntryInfo): string | undefined {
  if (entry.isDanglingLink) return 'it is a symbolic link to something that does not exist';
  if (!entry.isFile) return 'not a regular file';
  if (!HOOK_NAME.test(entry.name)) {
    return entry.name.includes('.') ? 'its name has a dot (hook names allow only 0-9 A-Z a-z _ -)' : 'its name has characters other than 0-9 A-Z a-z _ -';
  }
  if (!entry.isExecutable) return 'it is not executable (chmod +x it)';
  return undefined;
}

/** The ordered hooks of one phase across flavours, plus warnings about skipped files. */
export function mergePhaseHooks(
  phaseDir: string,
  perFlavour: readonly { flavour: string; entries: readonly DirEntryInfo[] }[],
): { hooks: Hook[]; warnings: string[] } {
  const byName = new Map<string, Hook>();
  const warnings: string[] = [];
  for (const { flavour, entries } of perFlavour) {
    for (const entry of entries) {
      const reason = skipReason(entry);
      if (reason !== undefined) {
        // Editor backups and READMEs in phase folders are common; a directory is never a hook; a
        // dangling link is a hook that was meant to run.
        if (entry.isFile || entry.isDanglingLink) warnings.push(`skipping ${entry.path} (flavour ${flavour}, ${phaseDir}): ${reason}`);
        continue;
      }
      const clash = byName.get(entry.name);
      if (clash) {
        throw new UsageError(
          `hook ${phaseDir}/${entry.name} exists in flavour "${clash.flavour}" (${clash.path}) and in flavour "${flavour}" (${entry.path})`,
          'rename one of them: hooks of all flavours share one namespace per phase',
        );
      }
      byName.set(entry.name, { name: entry.name, flavour, path: entry.path });
    }
  }
  const hooks = [...byName.values()].sort((a, b) => compareHookNames(a.name, b.name));
  return { hooks, warnings };
}
