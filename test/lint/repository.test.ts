// Keeps the README, CI, the phase table and the option table in step.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optionTableMarkdown } from '../../lib/config/field-docs.js';
import { phaseTableMarkdown } from '../../lib/plan/phase-docs.js';

const top = join(import.meta.dirname, '../..');
const readme = readFileSync(join(top, 'README.md'), 'utf8');

describe('README', () => {
  it('shows the phase table generated from lib/flavours/phases.ts', () => {
    const block = /<!-- phases:begin -->\n([\s\S]*?)\n<!-- phases:end -->/.exec(readme);
    expect(block?.[1]).toBe(phaseTableMarkdown());
  });

  it('shows the option table generated from lib/config/fields.ts', () => {
    const block = /<!-- options:begin -->\n([\s\S]*?)\n<!-- options:end -->/.exec(readme);
    expect(block?.[1]).toBe(optionTableMarkdown());
  });

  it('gives the test command that .ci/run runs, exactly', () => {
    const ci = readFileSync(join(top, '.ci/run'), 'utf8');
    const command = ci.trim().split('\n').pop()!;
    expect(readme).toContain(`    ${command}\n`);
  });

  it('gives a demo command that builds and boot-tests an image', () => {
    expect(readme).toMatch(/\n {4}\.ci\/setup-host && bin\/disk-image-create --boot-test .*debian vm demo\n/);
  });
});
