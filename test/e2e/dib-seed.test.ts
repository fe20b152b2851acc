// The diskimage-builder seed's two example commands, exactly as the seed writes them (run in an
// empty folder; the shared cache comes from DIB_IMAGE_CACHE, not from an option): neither names an
// operating system, so kiln builds its default, Debian, and says so in one line.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eCache } from '../helpers/e2e.js';
import { hostState, isRoot, kiln } from '../helpers/host.js';

const DEFAULT_OS_LINE = 'no flavour provides "operating-system": building with "debian", kiln\'s default operating system';

describe.skipIf(!isRoot)('the seed\'s commands, verbatim (e2e, Debian mirror)', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'kiln-e2e-seed-'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('ramdisk-image-create -o deploy.ramdisk deploy', async () => {
    const before = hostState();
    const result = await kiln('ramdisk-image-create', ['-o', 'deploy.ramdisk', 'deploy'], { DIB_IMAGE_CACHE: e2eCache() }, cwd);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr).toContain(DEFAULT_OS_LINE);
    expect(hostState()).toEqual(before);
    expect(execFileSync('file', ['-b', join(cwd, 'deploy.ramdisk.kernel')]).toString()).toMatch(/Linux kernel x86 boot executable/);
    expect(readFileSync(join(cwd, 'deploy.ramdisk.initramfs')).subarray(0, 4).toString('hex')).toBe('28b52ffd');
  });

  it('disk-image-create -o filename vm', async () => {
    const before = hostState();
    const result = await kiln('disk-image-create', ['-o', 'filename', 'vm'], { DIB_IMAGE_CACHE: e2eCache() }, cwd);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr).toContain(DEFAULT_OS_LINE);
    expect(hostState()).toEqual(before);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', join(cwd, 'filename.qcow2')]).toString()) as { format: string };
    expect(info.format).toBe('qcow2');
  });
});
