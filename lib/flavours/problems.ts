// What kiln could not read in a flavour, or refuses in it (flavour-deps that is a folder or
// unreadable, a cache-mounts line leading out of the cache): a flavour the build uses with such
// a problem stops the build with exit 2 before anything runs; any other flavour on the search
// path only earns a warning, because an unused flavour must not break other people's builds.
import { UsageError } from '../errors.js';
import type { FlavourMetadata } from './metadata.js';

/** Throws for the first used flavour (of `used`, in order) that has problems (pure). */
export function refuseProblemFlavours(catalogue: ReadonlyMap<string, Pick<FlavourMetadata, 'name' | 'problems'>>, used: readonly string[]): void {
  for (const name of used) {
    const problems = catalogue.get(name)?.problems ?? [];
    if (!problems.length) continue;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}: ${problems.slice(1).join('; ')})` : '';
    throw new UsageError(`flavour ${name}: ${problems[0]}${more}`, 'fix the flavour: kiln reads these files before building');
  }
}

/** Warnings for the problems of flavours the build does not use (pure). */
export function unusedFlavourWarnings(catalogue: ReadonlyMap<string, Pick<FlavourMetadata, 'name' | 'problems'>>, used: readonly string[]): string[] {
  const inUse = new Set(used);
  return [...catalogue.values()]
    .filter((f) => !inUse.has(f.name))
    .flatMap((f) => (f.problems ?? []).map((p) => `flavour ${f.name} (not used by this build): ${p}`));
}
