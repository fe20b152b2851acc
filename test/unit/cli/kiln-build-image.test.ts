// kiln-build-image and disk-image-create --spec through their real entry points: a spec plans
// exactly what the equivalent command line plans (--dry-run --json compared whole), the command
// line wins over the spec and the plan says so, and bad specs exit 2 with one line per problem.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { main as buildImage } from '../../../lib/cli/kiln-build-image.js';
import { main as diskImageCreate } from '../../../lib/cli/disk-image-create.js';
import { hook, tempDir, writeTree } from '../../helpers/tree.js';

let tmp: ReturnType<typeof tempDir>;
let stdout = '';
let stderr = '';

beforeEach(() => {
  tmp = tempDir();
  writeTree(tmp.path, {
    'fl/os/flavour-provides': 'operating-system\n',
    'fl/os/root.d/10-os': hook(),
    'fl/app/flavour-deps': 'os\n',
    'fl/app/install.d/50-app': hook(),
  });
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  tmp.cleanup();
});

const spec = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  flavours: ['app'], skip_base: true, flavours_path: join(tmp.path, 'fl'), image_cache: join(tmp.path, 'cache'),
  name: join(tmp.path, 'web'), types: ['qcow2', 'tar'], packages: ['nginx', 'curl'], image_size: '3G', ...extra,
});
const cliArgs = (): string[] => [
  '--flavours-path', join(tmp.path, 'fl'), '--image-cache', join(tmp.path, 'cache'), '-n',
  '-o', join(tmp.path, 'web'), '-t', 'qcow2,tar', '-p', 'nginx,curl', '--image-size', '3G',
];

async function dryRun(run: () => Promise<number>): Promise<Record<string, unknown>> {
  stdout = '';
  expect(await run()).toBe(0);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('a spec plans what the command line plans', () => {
  it('kiln-build-image SPEC (a JSON string) and disk-image-create give the same --dry-run --json', async () => {
    const fromSpec = await dryRun(() => buildImage(['--dry-run', '--json', JSON.stringify(spec())]));
    const fromCli = await dryRun(() => diskImageCreate([...cliArgs(), '--dry-run', '--json', 'app']));
    expect(fromSpec).toEqual(fromCli);
    expect(stderr).toBe('');
  });

  it('reads a YAML file and standard input', async () => {
    const file = join(tmp.path, 'web.yaml');
    writeFileSync(file, Object.entries(spec()).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n'));
    const fromFile = await dryRun(() => buildImage(['--dry-run', '--json', file]));
    expect((fromFile.outputs as unknown[]).length).toBe(2);
    const fromCli = await dryRun(() => diskImageCreate([...cliArgs(), '--dry-run', '--json', 'app']));
    expect(fromFile).toEqual(fromCli);
  });

  it('disk-image-create --spec: the command line wins and the plan says so', async () => {
    const file = join(tmp.path, 'web.json');
    writeFileSync(file, JSON.stringify(spec()));
    expect(await diskImageCreate(['--spec', file, '-t', 'raw', '--dry-run'])).toBe(0);
    expect(stdout).toContain(`${join(tmp.path, 'web.raw')}`);
    expect(stdout).not.toContain('web.qcow2');
    expect(stdout).toContain(`spec ${file}: -t "raw" from the command line wins over the spec's "qcow2,tar"`);
  });
});

describe('bad specs', () => {
  it('exit 2 with one line per problem naming its JSON path, never a stack trace', async () => {
    const bad = JSON.stringify({ flavours: ['app'], types: ['qcow3'], image_size: 'big', colour: 'red' });
    expect(await buildImage(['--dry-run', bad])).toBe(2);
    expect(stderr).toBe([
      'kiln-build-image: invalid build spec (command line) (3 problems)',
      '  types[0] (line 1): expected one of qcow2, raw, vhd, vmdk, vdi, tar, tgz, tar.zst, squashfs, got "qcow3" (did you mean "qcow2"?)',
      '  image_size (line 1): expected a size such as "2G", "1500M" or "2GiB", got "big"',
      '  colour (line 1): unknown key; known keys: $schema, kind, flavours, name, types, arch, packages, trace, skip_base, uncompressed, checksum, image_size, image_extra_size, mkfs_options, qemu_img_options, root_label, boot_test, image_cache, cache, offline, tmpfs, min_tmpfs, logfile, flavours_path, compress, environment, block_device, repos, proxies, allow_unsigned_repos, root_password, hashed_root_password, filesystem_images, metadata_file',
      'hint: the spec format is in schema/kiln-build-spec.schema.json (Fuel\'s: schema/fuel-build-image.schema.json)',
      '',
    ].join('\n'));
    expect(stdout).toBe('');
  });

  it('a missing file and a missing argument are usage errors', async () => {
    expect(await buildImage([join(tmp.path, 'nope.json')])).toBe(2);
    expect(stderr).toMatch(/cannot read build spec .*nope\.json: no such file/);
    stderr = '';
    expect(await buildImage([])).toBe(2);
    expect(stderr).toMatch(/missing required argument 'spec'/);
  });
});
