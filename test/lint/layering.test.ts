// Rules of the import graph that keep the layers honest.
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import fg from 'fast-glob';
import { describe, expect, it } from 'vitest';

const top = join(import.meta.dirname, '../..');

/** lib/'s folders from the bottom layer up (README "How kiln is built"): a module imports only
 * from its own folder and the folders before it. `.` is lib/ itself (errors.ts, log.ts). */
const LAYERS = ['.', 'report', 'exec', 'boot-test', 'flavours', 'resources', 'reproducible', 'outputs', 'config', 'ramdisk', 'sbom', 'block-device', 'fs-images', 'cache', 'image-read', 'diff', 'spec', 'write-disk', 'plan', 'dib', 'manifest', 'engine', 'vm', 'service', 'cli'];

/** Every relative import (static, type-only or dynamic) of every module of lib/, by folder. */
function folderImports(): { file: string; from: string; to: string }[] {
  return fg.sync('lib/**/*.ts', { cwd: top }).flatMap((file) => {
    const text = readFileSync(join(top, file), 'utf8');
    const specs = [...text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)].map((m) => m[1]!);
    const folder = (path: string): string => relative(join(top, 'lib'), path).split('/').slice(0, -1)[0] ?? '.';
    return specs.map((spec) => ({ file, from: folder(join(top, file)), to: folder(join(top, file, '..', spec)) }));
  });
}

/** Value imports (not `import type`) of every module under `folder`, as paths from lib/. */
function valueImports(folder: string): { file: string; target: string }[] {
  return fg.sync(`lib/${folder}/**/*.ts`, { cwd: top }).flatMap((file) => {
    const text = readFileSync(join(top, file), 'utf8');
    return [...text.matchAll(/^import (?!type )[^;]*? from '(\.[^']+)';/gm)].map((m) => ({
      file,
      target: relative(join(top, 'lib'), join(top, file, '..', m[1]!)).replace(/\.js$/, '.ts'),
    }));
  });
}

describe('layering', () => {
  it('every folder of lib/ has its place in the layers', () => {
    const folders = fg.sync('lib/*', { cwd: top, onlyDirectories: true }).map((d) => d.slice('lib/'.length));
    expect(folders.filter((f) => !LAYERS.includes(f))).toEqual([]);
  });

  it('the README names the folders in layer order', () => {
    const readme = readFileSync(join(top, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## How kiln is built'), readme.indexOf('## Tests'));
    const named = [...section.matchAll(/^\| `lib\/([^`]*?)\/?`/gm)].map((m) => m[1] || '.');
    expect(named).toEqual(LAYERS);
  });

  it('no module imports from a layer above its own', () => {
    const imports = folderImports();
    expect(imports.length).toBeGreaterThan(300);
    const upward = imports.filter((i) => LAYERS.indexOf(i.to) > LAYERS.indexOf(i.from));
    expect(upward.map((i) => `${i.file} → ${i.to}/`)).toEqual([]);
  });

  it('no dead exports: every exported function, class and constant of lib/ is used outside its module', () => {
    // Types may stay exported (they name the parameters of exported functions); values that only
    // their own module uses are not exported, and values nothing uses are removed.
    const files = fg.sync(['lib/**/*.ts', 'test/**/*.ts', 'bench/**', 'bin/*', 'package.json'], { cwd: top });
    const texts = new Map(files.map((file) => [file, readFileSync(join(top, file), 'utf8')]));
    // In how many files each word occurs: an export is used elsewhere if its name is in two or more.
    const filesWith = new Map<string, number>();
    for (const text of texts.values()) for (const word of new Set(text.match(/\w+/g))) filesWith.set(word, (filesWith.get(word) ?? 0) + 1);
    const dead = [...texts].filter(([file]) => file.startsWith('lib/')).flatMap(([file, text]) =>
      [...text.matchAll(/^export (?:async )?(?:function\*?|const|let|class) (\w+)/gm)].map((m) => m[1]!).filter((name) => filesWith.get(name)! < 2).map((name) => `${file}: ${name}`));
    expect(dead).toEqual([]);
  });

  it('every name a test imports from lib/ is exported there (tests are not type-checked: a lost export is undefined at run time)', () => {
    const missing: string[] = [];
    for (const file of fg.sync(['test/**/*.ts'], { cwd: top })) {
      const text = readFileSync(join(top, file), 'utf8');
      for (const [, names, spec] of text.matchAll(/^import (?!type )\{([^}]*)\} from '(\.[^']*\/lib\/[^']+)\.js'/gm)) {
        const target = relative(top, resolve(dirname(join(top, file)), `${spec!}.ts`));
        const source = readFileSync(join(top, target), 'utf8');
        for (const entry of names!.split(',').map((n) => n.trim()).filter((n) => n && !n.startsWith('type '))) {
          const name = entry.split(/\s+as\s+/)[0]!;
          const exported = new RegExp(`^export (?:declare )?(?:async )?(?:function\\*?|const|let|class|enum|abstract class) ${name}\\b|^export \\{[^}]*\\b${name}\\b`, 'm');
          if (!exported.test(source)) missing.push(`${file}: ${name} from ${target}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('the executor decides nothing: lib/engine imports none of the planners', () => {
    // Everything they work out is in the ResolvedBuild the executor is given.
    const planners = /^(plan\/(load-flavours|resolved-build|build-plan|cache-keys|disk-plan|stage-decisions|hook-tree-sources|tool-needs)|block-device\/(config|source)|flavours\/(package-installs|resolve|discover|metadata)|config\/parse-options)\.ts$/;
    const imports = valueImports('engine');
    expect(imports.length).toBeGreaterThan(50);
    expect(imports.filter((i) => planners.test(i.target))).toEqual([]);
  });
});
