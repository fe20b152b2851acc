// The JSON Schemas in schema/ are what kiln validates specs with (editors read the files), and the
// README's examples of both spec formats are valid specs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaFiles } from '../../lib/spec/schema-files.js';
import { loadSpecText } from '../../lib/spec/load.js';

const repo = join(import.meta.dirname, '../..');

describe('schema/', () => {
  it.each(schemaFiles().map((f) => [f.path, f.text]))('%s is what lib/spec/schema.ts builds (run `npm run schema` after changing it)', (path, text) => {
    expect(readFileSync(join(repo, path), 'utf8')).toBe(text);
  });
});

describe('README examples', () => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const examples = [...readme.matchAll(/<!-- spec-example: (\w+) -->\n```(?:json|yaml)\n([\s\S]*?)```/g)];
  it('has one example of each spec format', () => {
    expect(examples.map((m) => m[1]).sort()).toEqual(['fuel', 'kiln']);
  });
  it.each(examples.map((m) => [m[1]!, m[2]!]))('the %s example is a valid spec', (dialect, text) => {
    expect(loadSpecText(text, 'README.md').dialect).toBe(dialect);
  });
});
