// The dry run of a --vm build says that it runs in a VM and with what, and changes nothing (no
// builder image is made, no QEMU is started); a host dry run says nothing about a VM.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../lib/cli/disk-image-create.js';
import { hook, tempDir, writeTree } from '../../helpers/tree.js';

let tmp: ReturnType<typeof tempDir>;
let stdout = '';

beforeEach(() => {
  tmp = tempDir();
  writeTree(tmp.path, { 'fl/os/flavour-provides': 'operating-system\n', 'fl/os/root.d/10-os': hook() });
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  vi.restoreAllMocks();
  tmp.cleanup();
});

const base = () => ['--flavours-path', join(tmp.path, 'fl'), '--image-cache', join(tmp.path, 'cache'), '-n', '--dry-run'];

describe('--dry-run --vm', () => {
  it('shows the VM: memory, CPUs, accelerator, the builder image to make first and what is shared', async () => {
    expect(await main([...base(), '--vm', '--vm-memory', '3G', '--vm-cpus', '1', 'os'])).toBe(0);
    expect(stdout).toContain('Build VM (--vm): every phase runs inside it');
    expect(stdout).toMatch(/memory 3072 MiB, 1 CPU, scratch disk \d+ GiB \(sparse\)/);
    expect(stdout).toMatch(/accelerator: /);
    expect(stdout).toMatch(new RegExp(`builder image: ${join(tmp.path, 'cache/vm/builder-')}[0-9a-f]+ \\(not there yet: built first, once, as root\\)`));
    expect(stdout).toContain(`${join(tmp.path, 'fl')} (flavours, read-only)`);
    expect(existsSync(join(tmp.path, 'cache/vm'))).toBe(false);
  });

  it('puts the same facts in the JSON document', async () => {
    expect(await main([...base(), '--json', '--vm', '--vm-cpus', '2', 'os'])).toBe(0);
    const plan = JSON.parse(stdout);
    expect(plan.vm).toMatchObject({ memoryMiB: 2048, cpus: 2, builder: { present: false } });
  });

  it('says nothing about a VM for a build on this host', async () => {
    expect(await main([...base(), '--json', 'os'])).toBe(0);
    expect(JSON.parse(stdout).vm).toBeUndefined();
  });
});
