// Outputs appear only when complete, with the real filesystem.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { partialPath, writeAtomically } from '../../../lib/outputs/partial.js';

describe('writeAtomically', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-partial-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes under the partial name and renames when complete, creating the folder', async () => {
    const path = join(dir, 'sub', 'img.tar');
    await writeAtomically(path, async (partial) => {
      expect(partial).toBe(partialPath(path));
      await writeFile(partial, 'data');
      expect(existsSync(path)).toBe(false);
    });
    expect(readFileSync(path, 'utf8')).toBe('data');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['img.tar']);
  });

  it('removes the partial file and keeps an older output when writing fails', async () => {
    const path = join(dir, 'img.tar');
    writeFileSync(path, 'previous build');
    const failing = writeAtomically(path, async (partial) => {
      await writeFile(partial, 'half');
      throw new Error('tar died');
    });
    await expect(failing).rejects.toThrow('tar died');
    expect(readdirSync(dir)).toEqual(['img.tar']);
    expect(readFileSync(path, 'utf8')).toBe('previous build');
  });

  it('replaces a stale partial file from a killed run', async () => {
    const path = join(dir, 'img.tar');
    writeFileSync(partialPath(path), 'stale');
    await writeAtomically(path, async (partial) => {
      expect(existsSync(partial)).toBe(false);
      await writeFile(partial, 'new');
    });
    expect(readdirSync(dir)).toEqual(['img.tar']);
    expect(readFileSync(path, 'utf8')).toBe('new');
  });
});
