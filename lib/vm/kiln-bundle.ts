// What of the running kiln goes into the builder image: the files of the published package
// (package.json "files": bin, dist, flavours, sudoers.d, README.md) and the production
// dependencies in node_modules, found the way Node resolves them (each package's dependencies,
// looked up in the nearest node_modules folder upwards). A checkout's dev dependencies (vitest,
// typescript, playwright, ...) stay out of the image.
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../errors.js';

/** The folder kiln runs from: the parent of dist/ (a checkout or an installed package). */
export function kilnRoot(): string {
  return fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
}

interface PackageJson {
  name?: string;
  files?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** The folder `name` resolves to from package folder `from`, or undefined (Node's lookup). */
function resolvePackage(name: string, from: string, root: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === dirname(dir)) return undefined;
  }
}

/** Production dependency folders of the package at `root`, relative to it, sorted. */
export function productionPackages(root: string): string[] {
  const found = new Set<string>();
  const visit = (dir: string): void => {
    const pkg = readPackage(dir);
    const optionalPeers = new Set(Object.entries(pkg.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional).map(([n]) => n));
    const required = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}).filter((n) => !optionalPeers.has(n))];
    const optional = [...Object.keys(pkg.optionalDependencies ?? {}), ...optionalPeers];
    for (const name of [...required, ...optional]) {
      const target = resolvePackage(name, dir, root);
      if (target === undefined) {
        if (required.includes(name) && !optional.includes(name)) throw new InternalError(`kiln's dependency ${name} (needed by ${relative(root, dir) || 'kiln'}) is not installed`);
        continue;
      }
      const key = relative(root, target);
      if (found.has(key)) continue;
      found.add(key);
      visit(target);
    }
  };
  visit(root);
  return [...found].sort();
}

/** Top-level entries of kiln that the image gets: package.json, its "files", the lock file. */
export function packageEntries(root: string): string[] {
  const pkg = readPackage(root);
  return ['package.json', 'package-lock.json', ...(pkg.files ?? [])].filter((entry) => existsSync(join(root, entry)));
}

/** Copies kiln at `root` (package files and production dependencies) to the empty folder `target`. */
export async function stageKiln(root: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const entry of packageEntries(root)) {
    await cp(join(root, entry), join(target, entry), { recursive: true, dereference: true });
  }
  for (const dir of productionPackages(root)) {
    const source = join(root, dir);
    // Nested node_modules folders are packages of their own, copied when they are dependencies.
    await cp(source, join(target, dir), {
      recursive: true,
      dereference: true,
      filter: (path) => path === source || !relative(source, path).split('/').includes('node_modules'),
    });
  }
}
