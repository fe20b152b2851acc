// --checksum files against the real sha256sum and md5sum.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checksumPaths, writeChecksums } from '../../../lib/outputs/checksum.js';

describe('writeChecksums', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-checksum-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes NAME.EXT.sha256 and NAME.EXT.md5 exactly as coreutils does', async () => {
    const path = join(dir, 'img.qcow2');
    // Several read chunks (4 MiB each) and an odd tail.
    writeFileSync(path, randomBytes(9 * 1024 * 1024 + 123));
    const digests = await writeChecksums(path);
    expect(checksumPaths(path)).toEqual([`${path}.sha256`, `${path}.md5`]);
    expect(readFileSync(`${path}.sha256`, 'utf8')).toBe(execFileSync('sha256sum', ['img.qcow2'], { cwd: dir }).toString());
    expect(readFileSync(`${path}.md5`, 'utf8')).toBe(execFileSync('md5sum', ['img.qcow2'], { cwd: dir }).toString());
    expect(readFileSync(`${path}.sha256`, 'utf8')).toBe(`${digests.sha256}  img.qcow2\n`);
    // And the files verify with -c.
    execFileSync('sha256sum', ['--check', '--strict', 'img.qcow2.sha256'], { cwd: dir });
    execFileSync('md5sum', ['--check', '--strict', 'img.qcow2.md5'], { cwd: dir });
    expect(readdirSync(dir).sort()).toEqual(['img.qcow2', 'img.qcow2.md5', 'img.qcow2.sha256']);
  });

  it('escapes names with a backslash so that sha256sum -c reads them', async () => {
    const path = join(dir, 'odd\\name.tar');
    writeFileSync(path, 'x');
    await writeChecksums(path);
    expect(readFileSync(`${path}.sha256`, 'utf8')).toBe(execFileSync('sha256sum', ['odd\\name.tar'], { cwd: dir }).toString());
    execFileSync('sha256sum', ['--check', '--strict', 'odd\\name.tar.sha256'], { cwd: dir });
  });

  it('fails for a missing output and writes nothing', async () => {
    await expect(writeChecksums(join(dir, 'missing.raw'))).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
