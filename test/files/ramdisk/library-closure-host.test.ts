// The library closure against the real loader: for the dynamic programs in this machine's
// /usr/bin, the files kiln's own ELF reading finds must be exactly the ones `ldd` lists.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../../../lib/ramdisk/elf.js';
import { libraryClosure, newClosureCache } from '../../../lib/ramdisk/library-closure.js';
import { diskRootView } from '../../../lib/ramdisk/root-view.js';

/**
 * Resolved paths of the libraries and loader `ldd` lists for each program (one ldd run for all:
 * it prints a `PATH:` header before each program's list). Programs with a "not found" line are
 * left out: ldd runs the loader on the path it was given, so $ORIGIN is that path's folder, not
 * the program's real folder as in a normal start (/usr/bin/java -> /usr/lib/jvm/...).
 */
function lddFiles(programs: string[]): Map<string, string[]> {
  const out = spawnSync('ldd', programs, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout;
  const result = new Map<string, string[]>();
  let current: string | undefined;
  let files: string[] = [];
  let comparable = true;
  const flush = (): void => {
    if (current && comparable) result.set(current, files.sort());
  };
  for (const line of out.split('\n')) {
    const header = /^(\/\S+):$/.exec(line);
    if (header) {
      flush();
      [current, files, comparable] = [header[1], [], true];
      continue;
    }
    if (line.includes('not found') || line.includes('not a dynamic executable')) comparable = false;
    const match = /=>\s+(\/\S+)|^\s*(\/\S+)\s+\(/.exec(line);
    const path = match?.[1] ?? match?.[2];
    if (path) files.push(realpathSync(path));
  }
  flush();
  return result;
}

function dynamicPrograms(dir: string): string[] {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((path) => {
      try {
        if (!statSync(path).isFile()) return false;
        const elf = parseElf(readFileSync(path));
        return elf?.interpreter !== undefined;
      } catch {
        return false;
      }
    })
    .sort();
}

/** An even spread of at most `max` items (ldd on all 1000+ programs of a build host takes 10 s),
 * plus programs with deep closures when the machine has them. */
function spread(all: string[], max: number): string[] {
  const step = Math.max(1, Math.ceil(all.length / max));
  const deep = ['/usr/bin/qemu-system-x86_64', '/usr/bin/qemu-img', '/usr/bin/mmdebstrap', '/usr/bin/gpg'];
  return [...new Set([...all.filter((_, i) => i % step === 0), ...deep.filter((p) => all.includes(p))])].sort();
}

describe('library closure on this machine', () => {
  const programs = spread(dynamicPrograms('/usr/bin'), 150);

  it('finds dynamic programs to compare', () => {
    expect(programs.length).toBeGreaterThan(20);
  });

  it('matches ldd for a spread of the dynamic programs in /usr/bin', () => {
    const view = diskRootView('/');
    const cache = newClosureCache();
    const expected = lddFiles(programs);
    const differences: string[] = [];
    for (const [program, files] of expected) {
      const closure = libraryClosure(view, [program], { cache });
      const self = realpathSync(program);
      const actual = closure.files.filter((f) => f !== self).map((f) => realpathSync(f)).sort();
      if (JSON.stringify(actual) !== JSON.stringify(files) || closure.missing.length) {
        differences.push(`${program}: kiln ${actual.join(' ')} missing ${JSON.stringify(closure.missing)}; ldd ${files.join(' ')}`);
      }
    }
    expect(expected.size).toBeGreaterThan(20);
    expect(differences).toEqual([]);
  }, 30_000);
});
