// Rules of the import graph that keep the layers honest.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fg from 'fast-glob';
import { describe, expect, it } from 'vitest';

const top = join(import.meta.dirname, '../..');

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
  it('the executor decides nothing: lib/engine imports none of the planners', () => {
    // Everything they work out is in the ResolvedBuild the executor is given.
    const planners = /^(plan\/(load-flavours|resolved-build|build-plan|cache-keys|disk-plan|stage-decisions|hook-tree-sources|tool-needs)|block-device\/(config|source)|flavours\/(package-installs|resolve|discover|metadata)|config\/parse-options)\.ts$/;
    const imports = valueImports('engine');
    expect(imports.length).toBeGreaterThan(50);
    expect(imports.filter((i) => planners.test(i.target))).toEqual([]);
  });
});
