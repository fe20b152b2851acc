// diskimage-builder's environment contract: the variables DIB gives every element, and
// DIB_PYTHON_EXEC found on the host (a real Python that imports diskimage_builder) exactly when
// a flavour's hooks need it, with a clear error when it is needed and missing. The dry run raises
// hook-tree clashes like the build does.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../lib/cli/disk-image-create.js';
import { buildRequest } from '../../lib/config/parse-options.js';
import { completeDibContract, dibEnvSnapshot, dibPythonCandidates, dibVariables, findDibPython } from '../../lib/plan/dib-environment.js';
import { loadAndPlan } from '../../lib/plan/load-flavours.js';
import { hook, tempDir, writeTree } from '../helpers/tree.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
  writeTree(tmp.path, {
    'fl/os/flavour-provides': 'operating-system\n',
    'fl/os/root.d/10-os': hook(),
    'fl/squash/extra-data.d/99-squash': hook('sudo -E $DIB_PYTHON_EXEC "$(dirname "$0")/../bin/squash"'),
    'fl/plain/install.d/50-plain': hook(),
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  tmp.cleanup();
});

const request = (flavours: string[], env: Record<string, string> = {}, argv?: string[]) => ({
  ...buildRequest('disk', flavours, { flavoursPath: join(tmp.path, 'fl'), skipBase: true, imageCache: join(tmp.path, 'cache') }, env, tmp.path),
  ...(argv ? { argv } : {}),
});
const value = (vars: { name: string; value: string }[], name: string) => vars.find((v) => v.name === name)?.value;

describe('the variables DIB gives every element', () => {
  it('sets the argument and environment snapshots, FS_TYPE and the defaults of lib/common-defaults', () => {
    const vars = dibVariables(request(['os'], { DIB_RELEASE: 'bookworm', DIB_X: 'say "hi" $HOME' }, ['-o', 'img', 'os', 'vm']));
    expect(value(vars, 'DIB_ARGS')).toBe('-o img os vm');
    expect(value(vars, 'DIB_ENV')).toBe('declare -x DIB_RELEASE="bookworm"\ndeclare -x DIB_X="say \\"hi\\" \\$HOME"');
    expect(value(vars, 'FS_TYPE')).toBe('ext4');
    expect(value(vars, 'DIB_CHECKSUM')).toBe('0');
    expect(value(vars, 'DIB_MIN_TMPFS')).toBe('2');
    expect(value(vars, 'COMPRESS_IMAGE')).toBe('1');
    expect(value(vars, 'DIB_LOCKFILES')).toBe(join(tmp.path, 'cache/lockfiles'));
    expect(value(dibVariables(request(['os'], { DIB_LOCKFILES: '/var/lock/dib' })), 'DIB_LOCKFILES')).toBe('/var/lock/dib');
    expect(value(dibVariables(request(['os'], { FS_TYPE: 'xfs' })), 'FS_TYPE')).toBe('xfs');
  });

  it('reaches the plan environment, where hooks get it, with DIB_DEFAULT_INSTALLTYPE from --install-type or the variable', () => {
    const plan = loadAndPlan(request(['plain', 'os']));
    expect(plan.environment.find((v) => v.name === 'DIB_ARGS')).toMatchObject({ value: 'plain os', source: 'kiln (diskimage-builder contract)' });
    expect(plan.environment.find((v) => v.name === 'DIB_DEFAULT_INSTALLTYPE')?.value).toBe('source');
    expect(loadAndPlan(request(['plain', 'os'], { DIB_DEFAULT_INSTALLTYPE: 'package' })).environment.find((v) => v.name === 'DIB_DEFAULT_INSTALLTYPE')?.value).toBe('package');
  });

  it('the DIB_ENV snapshot holds only DIB_ variables, sorted', () => {
    expect(dibEnvSnapshot({ PATH: '/bin', DIB_B: '2', DIB_A: '1', HOME: undefined })).toBe('declare -x DIB_A="1"\ndeclare -x DIB_B="2"');
  });
});

describe('DIB_PYTHON_EXEC', () => {
  it('is found on the host when a flavour uses it: the first Python that imports diskimage_builder', async () => {
    const fakeBin = join(tmp.path, 'bin');
    writeTree(tmp.path, { 'bin/python3': { content: '#!/bin/sh\nexit 1\n', mode: 0o755 } });
    expect(dibPythonCandidates({ PATH: `${fakeBin}:/usr/bin` })).toEqual([join(fakeBin, 'python3'), '/usr/bin/python3']);
    const plan = await completeDibContract(loadAndPlan(request(['squash', 'os'], { PATH: `${fakeBin}:/usr/bin` })));
    const python = plan.environment.find((v) => v.name === 'DIB_PYTHON_EXEC');
    expect(python?.value).toBe('/usr/bin/python3');
    expect(python?.source).toContain('needed by "squash"');
  });

  it('is not looked for when no flavour uses it', async () => {
    const plan = await completeDibContract(loadAndPlan(request(['plain', 'os'], { PATH: '/nonexistent' })));
    expect(plan.environment.some((v) => v.name === 'DIB_PYTHON_EXEC')).toBe(false);
  });

  it('missing when needed is a clear error naming the flavour, what was tried and the package', async () => {
    const fake = join(tmp.path, 'python-without-dib');
    writeFileSync(fake, '#!/bin/sh\nexit 1\n');
    chmodSync(fake, 0o755);
    expect(await findDibPython([fake])).toBeUndefined();
    const plan = loadAndPlan(request(['squash', 'os'], { PATH: tmp.path, DIB_PYTHON_EXEC: fake }));
    await expect(completeDibContract(plan, [fake]))
      .rejects.toThrow(/flavour "squash" runs \$DIB_PYTHON_EXEC, .* none was found \(tried .*python-without-dib/);
  });
});

describe('the dry run raises what the build would refuse', () => {
  /** Runs `disk-image-create -n --dry-run os ...flavours`: its exit code and what it printed to stderr. */
  async function dryRun(...flavours: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
    const code = await main(['--flavours-path', join(tmp.path, 'fl'), '--image-cache', join(tmp.path, 'cache'), '-n', '--dry-run', 'os', ...flavours]);
    vi.restoreAllMocks();
    return { code, stderr };
  }

  it('two flavours with one file at the same path inside their folders', async () => {
    writeTree(tmp.path, {
      'fl/a/init-scripts/systemd/x.service': 'a\n',
      'fl/b/init-scripts/systemd/x.service': 'b\n',
    });
    const { code, stderr } = await dryRun('a', 'b');
    expect(stderr).toContain('init-scripts/systemd/x.service exists in flavour "a" and in flavour "b"');
    expect(code).toBe(2);
  });

  it('a top-level file of one flavour where another has a folder, and a link back up a flavour', async () => {
    writeTree(tmp.path, {
      'fl/a/init-scripts/systemd/x.service': 'a\n',
      'fl/b/init-scripts': 'a file\n',
      'fl/loops/static/loop': { link: '..' },
    });
    const clash = await dryRun('a', 'b');
    expect(clash.stderr).toContain('init-scripts is a file in flavour "b" and a folder in flavour "a"');
    expect(clash.code).toBe(2);
    const loop = await dryRun('loops');
    expect(loop.stderr).toContain('static/loop links back to a folder above it (flavour "loops")');
    expect(loop.code).toBe(2);
  });
});
