// kiln-build-image and disk-image-create --spec through their real entry points: a spec plans
// exactly what the equivalent command line plans (--dry-run --json compared whole), the command
// line wins over the spec and the plan says so, and bad specs exit 2 with one line per problem.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { main as buildImage } from '../../../lib/cli/kiln-build-image.js';
import { main as diskImageCreate } from '../../../lib/cli/disk-image-create.js';
import { hook, tempDir, writeTree } from '../../helpers/tree.js';
import { BAD_SPECS } from '../spec/bad-specs.js';
import { OUTPUT_FORMATS } from '../../../lib/outputs/registry.js';

let tmp: ReturnType<typeof tempDir>;
let stdout = '';
let stderr = '';

beforeEach(() => {
  tmp = tempDir();
  writeTree(tmp.path, {
    'fl/os/flavour-provides': 'operating-system\n',
    'fl/os/root.d/10-os': hook(),
    // -p installs through it; a plan without one is refused.
    'fl/os/bin/install-packages': hook(),
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
  flavours: ['app'], skipBase: true, flavoursPath: join(tmp.path, 'fl'), imageCache: join(tmp.path, 'cache'),
  output: join(tmp.path, 'web'), types: ['qcow2', 'tar'], packages: ['nginx', 'curl'], imageSize: '3G', ...extra,
});
const cliArgs = (): string[] => [
  '--flavours-path', join(tmp.path, 'fl'), '--image-cache', join(tmp.path, 'cache'), '-n',
  '-o', join(tmp.path, 'web'), '-t', 'qcow2,tar', '-p', 'nginx,curl', '--image-size', '3G',
];

/** The plan of a dry run, without the origins of the variables (a spec names itself there). */
async function dryRun(run: () => Promise<number>): Promise<Record<string, unknown>> {
  stdout = '';
  expect(await run()).toBe(0);
  const plan = JSON.parse(stdout) as { environment: { name: string; value: string; source: string }[] };
  // DIB_ARGS is the command line as given, which differs between the two by nature.
  const environment = plan.environment.filter((v) => v.name !== 'DIB_ARGS');
  return { ...plan, environment: environment.map(({ name, value }) => ({ name, value })), sources: environment.map((v) => v.source) };
}

describe('a spec plans what the command line plans', () => {
  it('kiln-build-image SPEC (a JSON string) and disk-image-create give the same --dry-run --json', async () => {
    const { sources: specSources, ...fromSpec } = await dryRun(() => buildImage(['--dry-run', '--json', JSON.stringify(spec())]));
    const { sources: cliSources, ...fromCli } = await dryRun(() => diskImageCreate([...cliArgs(), '--dry-run', '--json', 'app']));
    expect(fromSpec).toEqual(fromCli);
    expect(specSources).toContain('spec (command line): packages');
    expect(cliSources).toContain('--packages');
    expect(stderr).toBe('');
  });

  it('reads a YAML file', async () => {
    const file = join(tmp.path, 'web.yaml');
    writeFileSync(file, Object.entries(spec()).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n'));
    const { sources, ...fromFile } = await dryRun(() => buildImage(['--dry-run', '--json', file]));
    expect((fromFile.outputs as unknown[]).length).toBe(2);
    expect(sources).toContain(`spec ${file}: imageCache`);
    const { sources: _, ...fromCli } = await dryRun(() => diskImageCreate([...cliArgs(), '--dry-run', '--json', 'app']));
    expect(fromFile).toEqual(fromCli);
  });

  it('disk-image-create --spec: the command line wins and the plan says so', async () => {
    const file = join(tmp.path, 'web.json');
    writeFileSync(file, JSON.stringify(spec()));
    expect(await diskImageCreate(['--spec', file, '-t', 'raw', '--dry-run'])).toBe(0);
    expect(stdout).toContain(`${join(tmp.path, 'web.raw')}`);
    expect(stdout).not.toContain('web.qcow2');
    expect(stdout).toContain(`spec ${file}: --type "raw" from the command line wins over the spec's types "qcow2,tar"`);
  });
});

describe('bad specs', () => {
  it.each(BAD_SPECS)('%s: exit 2 and a line naming the JSON path', async (_, text, line) => {
    const file = join(tmp.path, 'bad.json');
    writeFileSync(file, text);
    expect(await buildImage(['--dry-run', file])).toBe(2);
    expect(stderr).toMatch(/^kiln-build-image: invalid build spec .* \(\d+ problems?\)$/m);
    expect(stderr).toMatch(line);
    expect(stderr).not.toMatch(/\n\s+at |internal error/);
    expect(stdout).toBe('');
  });

  it('exit 2 with one line per problem naming its JSON path, never a stack trace', async () => {
    const bad = JSON.stringify({ flavours: ['app'], types: ['qcow3'], imageSize: 'big', packges: ['vim'] });
    expect(await buildImage(['--dry-run', bad])).toBe(2);
    expect(stderr).toBe([
      'kiln-build-image: invalid build spec (command line) (3 problems)',
      `  types[0] (line 1): expected one of ${OUTPUT_FORMATS.map((f) => f.name).join(', ')}, got "qcow3" (did you mean "qcow2"?)`,
      '  imageSize (line 1): expected a size such as "2G", "1500M" or "2GiB", got "big"',
      '  packges (line 1): unknown key (did you mean "packages"?)',
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
