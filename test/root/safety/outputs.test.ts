// A build's outputs under one name: two builds with the same -o never install each other's files
// (the second is refused at once), a build that fails after writing some formats replaces none
// of the old ones, and a build killed outright leaves nothing the next build with the name does
// not clear.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtures, hostState, isRoot, kiln, start, type HostState } from '../../helpers/host.js';
import { markerInBuild, waitFor } from '../../helpers/hostile.js';

describe.skipIf(!isRoot)('outputs as a set, under a locked name (root)', () => {
  let base: string;
  let before: HostState;
  beforeEach(() => {
    before = hostState();
    base = mkdtempSync(join(tmpdir(), 'kiln-outputs-'));
    mkdirSync(join(base, 'out'));
  });
  afterEach(() => {
    try {
      expect(hostState()).toEqual(before);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  const tarArgs = (): string[] => ['-n', '-t', 'tar', '-o', join(base, 'out/img'), '--flavours-path', fixtures, '--image-cache', join(base, 'cache'), '--no-cache', 'fake-os', 'probe'];
  const startSleeping = async (): Promise<ReturnType<typeof start>> => {
    const first = start('disk-image-create', tarArgs(), { KILN_PROBE_OUT: join(base, 'probe'), KILN_PROBE_SLEEP: 'install', KILN_PROBE_SLEEP_MARK: '/tmp/kiln-sleeping' });
    await waitFor(() => markerInBuild(tmpdir(), 'tmp/kiln-sleeping'), 'the first build to sleep in install.d');
    return first;
  };
  const outFiles = (): string[] => readdirSync(join(base, 'out')).sort();

  it('a build whose second format fails replaces none of the old outputs', async () => {
    writeFileSync(join(base, 'out/img.qcow2'), 'old qcow2');
    writeFileSync(join(base, 'out/img.vmdk'), 'old vmdk');
    // qemu-img takes cluster_size for qcow2 but not for vmdk: qcow2 is written, then vmdk fails.
    const result = await kiln('disk-image-create', ['-n', '-t', 'qcow2,vmdk', '--image-size', '200M', '--qemu-img-options', 'cluster_size=2M',
      '-o', join(base, 'out/img'), '--flavours-path', fixtures, '--image-cache', join(base, 'cache'), '--no-cache', 'fake-os', 'block-device-mbr']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('converting the disk image to vmdk');
    expect(result.stderr).toMatch(/write qcow2 done/);
    expect(outFiles()).toEqual(['img.log', 'img.qcow2', 'img.vmdk']);
    expect(readFileSync(join(base, 'out/img.qcow2'), 'utf8')).toBe('old qcow2');
    expect(readFileSync(join(base, 'out/img.vmdk'), 'utf8')).toBe('old vmdk');
  });

  it('a second build with the same -o is refused at once, naming the first, which is not disturbed', async () => {
    const first = await startSleeping();
    const second = await kiln('disk-image-create', tarArgs());
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`the output name ${join(base, 'out/img')} is in use by kiln process ${first.child.pid} (lock ${join(base, 'out/.img.kiln-lock')})`);
    expect(second.stderr).toContain(`hint: wait for process ${first.child.pid} to finish`);
    expect(existsSync(join(base, 'out/img.log'))).toBe(true);
    expect(readFileSync(join(base, 'out/img.log'), 'utf8')).not.toContain('in use by');
    first.child.kill('SIGTERM');
    expect((await first.done).code).toBe(143);
    expect(outFiles()).toEqual(['img.log']);
    const third = await kiln('disk-image-create', tarArgs(), { KILN_PROBE_OUT: join(base, 'probe') });
    expect(third.code, third.stderr).toBe(0);
    expect(outFiles()).toEqual(['img.log', 'img.tar']);
  });

  it('a build killed outright leaves its name locked by a dead process: the next build takes it over and clears the staging', async () => {
    const first = await startSleeping();
    first.child.kill('SIGKILL');
    await first.done;
    expect(outFiles().filter((f) => f.startsWith('.img.kiln-'))).toEqual(['.img.kiln-lock', expect.stringMatching(/^\.img\.kiln-staging\./)]);
    const next = await kiln('disk-image-create', tarArgs(), { KILN_PROBE_OUT: join(base, 'probe') });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`left by kiln process ${first.child.pid}`);
    expect(outFiles()).toEqual(['img.log', 'img.tar']);
  });
});
