// The library closure against the real loader: for the dynamic programs in this machine's
// /usr/bin, the files kiln's own ELF reading finds must be exactly the ones `ldd` lists.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../../../lib/ramdisk/elf.js';
import { libraryClosure } from '../../../lib/ramdisk/library-closure.js';
import { diskRootView } from '../../../lib/ramdisk/root-view.js';

/** Resolved paths of the libraries and loader ldd lists for `program`, or undefined if ldd fails. */
function lddFiles(program: string): string[] | undefined {
  let out: string;
  try {
    out = execFileSync('ldd', [program], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return undefined;
  }
  // ldd runs the loader on the path it was given, so $ORIGIN is that path's folder, not the
  // program's real folder as in a normal start (/usr/bin/java -> /usr/lib/jvm/...): not comparable.
  if (out.includes('not found')) return undefined;
  const files = out.split('\n').flatMap((line) => {
    const match = /=>\s+(\/\S+)|^\s*(\/\S+)\s+\(/.exec(line);
    const path = match?.[1] ?? match?.[2];
    return path ? [realpathSync(path)] : [];
  });
  return files.sort();
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

describe('library closure on this machine', () => {
  const programs = dynamicPrograms('/usr/bin');

  it('finds dynamic programs to compare', () => {
    expect(programs.length).toBeGreaterThan(20);
  });

  it('matches ldd for every dynamic program in /usr/bin', () => {
    const view = diskRootView('/');
    const differences: string[] = [];
    let compared = 0;
    for (const program of programs) {
      const expected = lddFiles(program);
      if (!expected) continue;
      compared++;
      const closure = libraryClosure(view, [program]);
      const self = realpathSync(program);
      const actual = closure.files.filter((f) => f !== self).map((f) => realpathSync(f)).sort();
      if (JSON.stringify(actual) !== JSON.stringify(expected) || closure.missing.length) {
        differences.push(`${program}: kiln ${actual.join(' ')} missing ${JSON.stringify(closure.missing)}; ldd ${expected.join(' ')}`);
      }
    }
    expect(compared).toBeGreaterThan(20);
    expect(differences).toEqual([]);
  }, 120_000);
});
