// Malformed build specs through the real command (bin/kiln-build-image, a separate process): it
// exits with code 2 and prints a line naming the JSON path of the problem, never a stack trace,
// whether the spec comes as a file, a JSON string or standard input. The whole table of malformed
// documents runs through the same entry point in-process (test/unit/cli/kiln-build-image.test.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, isRoot, kiln, repo, type Ran } from '../helpers/host.js';
import { BAD_SPECS } from '../unit/spec/bad-specs.js';


/** Runs kiln-build-image with `input` on its standard input. */
function withStdin(args: string[], input: string): Promise<Ran> {
  const child = spawn(bin('kiln-build-image'), args, { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

function expectRefused(result: Ran, line: RegExp): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(/^kiln-build-image: invalid build spec .* \(\d+ problems?\)$/m);
  expect(result.stderr).toMatch(line);
  expect(result.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(result.stdout).toBe('');
}

describe.skipIf(!isRoot)('kiln-build-image refuses malformed specs (exit 2, a line with the JSON path)', () => {
  let dir: string;
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-spec-errors-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file', async () => {
    const [, text, line] = BAD_SPECS.find(([what]) => what.startsWith('Fuel: two images for one mount point (the key twice)'))!;
    const file = join(dir, 'bad.json');
    writeFileSync(file, text);
    expectRefused(await kiln('kiln-build-image', ['--dry-run', file]), line);
  });

  it('a JSON string on the command line', async () => {
    const [, text, line] = BAD_SPECS.find(([what]) => what.startsWith('Fuel: unknown format'))!;
    expectRefused(await kiln('kiln-build-image', [text]), line);
  });

  it('standard input', async () => {
    const [, text, line] = BAD_SPECS.find(([what]) => what.startsWith('Fuel: a non-integer priority'))!;
    const result = await withStdin(['-'], text);
    expectRefused(result, line);
    expect(result.stderr).toContain('invalid build spec (stdin)');
  });
});
