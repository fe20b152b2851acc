// Dependency resolution, exactly as diskimage-builder's element_dependencies.py does it (see
// docs in dib.md 2.4): a breadth-first walk from the requested flavours; provided (virtual)
// names are satisfied and never looked up; dependencies form a set, so cycles and
// self-dependencies are fine. Pure: it sees only names, deps and provides.
import { shownName } from '../report/printable.js';
import { UsageError } from '../errors.js';
import { closeNames } from './suggest.js';

/** What resolution needs to know about one flavour. */
export interface FlavourDeclaration {
  deps: readonly string[];
  provides: readonly string[];
}

/** The outcome: flavour names in a stable order and who provides what. */
export interface Resolution {
  /** Real flavours of the build: requested ones first, then dependencies in discovery order. */
  names: string[];
  /** Virtual name → the flavour that provides it. */
  providedBy: Map<string, string>;
  /** Set when no flavour named an operating system and the default was added. */
  defaultOs?: string;
}

/** Extra context for error messages. */
export interface ResolveContext {
  /** Directories searched, named in "not found" errors. */
  searched: readonly string[];
}

/** The operating system a build gets when no flavour provides one: the one kiln is tested on. */
const DEFAULT_OPERATING_SYSTEM = 'debian';

/** The line that says so, in the plan and in the build's output. */
export function defaultOsNote(name: string): string {
  return `no flavour provides "operating-system": building with "${name}", kiln's default operating system (name one to choose another)`;
}

/** Resolves `requested` against `catalogue`, or throws a UsageError saying what to change. */
export function resolveFlavours(
  requested: readonly string[],
  catalogue: ReadonlyMap<string, FlavourDeclaration>,
  context: ResolveContext,
): Resolution {
  const final = new Set<string>(requested);
  const order: string[] = [...new Set(requested)];
  const queue = [...new Set(requested)];
  const provided = new Set<string>();
  const providedBy = new Map<string, string>();
  const neededBy = new Map<string, string>();
  const add = (name: string, by?: string): void => {
    final.add(name);
    order.push(name);
    if (by !== undefined) neededBy.set(name, by);
    queue.push(name);
  };
  const walk = (): void => {
    while (queue.length) {
      const name = queue.shift()!;
      if (provided.has(name)) continue;
      const flavour = catalogue.get(name);
      if (!flavour) throw notFound(name, neededBy.get(name), catalogue, context);
      for (const virtual of flavour.provides) {
        const other = providedBy.get(virtual);
        if (other !== undefined) throw providedTwice(virtual, other, name);
        providedBy.set(virtual, name);
      }
      for (const virtual of flavour.provides) provided.add(virtual);
      for (const dep of flavour.deps) if (!final.has(dep) && !provided.has(dep)) add(dep, name);
    }
  };

  walk();
  // No operating system named: the default one, with its dependencies.
  let defaultOs: string | undefined;
  if (!provided.has('operating-system') && isOperatingSystem(catalogue.get(DEFAULT_OPERATING_SYSTEM)) && !final.has(DEFAULT_OPERATING_SYSTEM)) {
    defaultOs = DEFAULT_OPERATING_SYSTEM;
    add(defaultOs);
    walk();
  }

  checkRequestedNotProvided(requested, providedBy);
  if (!provided.has('operating-system')) throw missingOs(catalogue);
  return { names: order.filter((name) => !provided.has(name)), providedBy, ...(defaultOs ? { defaultOs } : {}) };
}

function isOperatingSystem(flavour: FlavourDeclaration | undefined): boolean {
  return flavour?.provides.includes('operating-system') ?? false;
}

function notFound(
  name: string,
  neededBy: string | undefined,
  catalogue: ReadonlyMap<string, FlavourDeclaration>,
  context: ResolveContext,
): UsageError {
  const suggestions = Buffer.byteLength(name) > 255 ? [] : closeNames(name, catalogue.keys());
  const who = neededBy === undefined ? '' : ` (a dependency of ${neededBy})`;
  const hint = suggestions.length
    ? `did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?`
    : 'add the folder that holds it with --flavours-path, FLAVOURS_PATH or ELEMENTS_PATH';
  return new UsageError(`flavour "${shownName(name)}"${who} not found; searched ${context.searched.join(', ')}`, hint);
}

function providedTwice(virtual: string, first: string, second: string): UsageError {
  return new UsageError(
    `"${virtual}" is provided by both "${first}" and "${second}"`,
    `keep only one of "${first}" and "${second}"`,
  );
}

function checkRequestedNotProvided(requested: readonly string[], providedBy: ReadonlyMap<string, string>): void {
  for (const name of requested) {
    const provider = providedBy.get(name);
    if (provider !== undefined && provider !== name) {
      throw new UsageError(
        `flavour "${name}" was asked for, but "${provider}" already provides "${name}"`,
        `remove "${name}" from the flavour list or drop "${provider}"`,
      );
    }
  }
}

function missingOs(catalogue: ReadonlyMap<string, FlavourDeclaration>): UsageError {
  const candidates = [...catalogue.entries()]
    .filter(([, f]) => f.provides.includes('operating-system'))
    .map(([name]) => name)
    .sort();
  return new UsageError(
    'no flavour provides "operating-system": the image needs an operating system',
    candidates.length ? `add one of: ${candidates.join(', ')}` : 'add a flavour that lists operating-system in flavour-provides',
  );
}

/** DIB's request expansion: `base` first unless skipped, and `vm` without a layout gets the default one. */
export function expandRequest(
  userList: readonly string[],
  options: { skipBase: boolean; known: ReadonlySet<string>; arch: string; prepend?: readonly string[] },
): string[] {
  const list = [...userList];
  if (list.includes('vm') && !list.some((name) => name.startsWith('block-device-'))) {
    list.push(options.arch === 'arm64' || options.arch === 'aarch64' ? 'block-device-efi' : 'block-device-mbr');
  }
  if (!options.skipBase && options.known.has('base') && !list.includes('base')) list.unshift('base');
  return [...(options.prepend ?? []).filter((name) => !list.includes(name)), ...list];
}
