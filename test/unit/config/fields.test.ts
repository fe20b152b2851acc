// The option table and what is derived from it: the request, the commander options, the
// variables hooks get and the cache keys. The key test walks every field of the table, so a new
// option that changes outputs cannot be left out of the keys unnoticed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Command } from 'commander';
import type { AnyField } from '../../../lib/config/field-spec.js';
import { KEY_NEUTRAL_OPTION_VARIABLES, OPTION_ENV_NAMES, optionVariables } from '../../../lib/config/field-views.js';
import { FIELDS } from '../../../lib/config/fields.js';
import { buildRequest, fieldApplies } from '../../../lib/config/parse-options.js';
import type { BuildKind } from '../../../lib/config/build-request.js';
import { defineBuildCommand, parseBuildArgs } from '../../../lib/spec/command-line.js';
import { outputKey } from '../../../lib/plan/cache-keys.js';
import { diskKeyText } from '../../../lib/plan/disk-plan.js';
import { resolveBuild } from '../../../lib/plan/resolved-build.js';
import { hook, tempDir, writeTree } from '../../helpers/tree.js';

const ALL = FIELDS as readonly AnyField[];
const kindOf = (f: AnyField): BuildKind => (fieldApplies(f, 'disk') ? 'disk' : 'ramdisk');

describe('the option table', () => {
  it('names every key, spec key, flag, variable and hook variable once', () => {
    const unique = (values: (string | undefined)[]) => {
      const defined = values.filter((v): v is string => v !== undefined);
      expect(new Set(defined).size).toBe(defined.length);
    };
    unique(ALL.map((f) => f.key));
    unique(ALL.map((f) => f.spec));
    unique(ALL.flatMap((f) => f.cli?.flags.split(/[ ,]+/).filter((w) => w.startsWith('-')) ?? []));
    unique(ALL.map((f) => f.env));
    unique(ALL.map((f) => f.hook?.name));
  });

  it('gives two different examples for every field, and both parse', () => {
    for (const f of ALL) {
      expect(JSON.stringify(f.examples[0]), f.key).not.toBe(JSON.stringify(f.examples[1]));
      for (const example of f.examples) {
        expect(() => buildRequest(kindOf(f), ['x'], {}, {}, '/tmp', { values: { [f.spec]: example }, label: 'spec' }), f.key).not.toThrow();
      }
    }
  });

  it('marks an option as changing nothing only on purpose', () => {
    // Such an option is in no cache key, so a wrong mark means stale outputs: a new one is added
    // here after checking that it changes neither the image nor the outputs.
    expect(ALL.filter((f) => f.cache === 'none').map((f) => f.key)).toEqual([
      'imageName', 'debugTrace', 'checksum', 'imageCache', 'cacheGroup', 'noTmpfs', 'minTmpfsBytes', 'logfile', 'offline',
      'flavoursPath', 'noCache', 'bootTest', 'vm', 'vmMemoryMiB', 'vmCpus', 'vmAccel', 'checkpointSeconds', 'cacheMaxAgeDays', 'cacheMaxBytes',
    ]);
  });

  it('keeps the variables of options that do not shape the tree out of the layer keys', () => {
    expect([...KEY_NEUTRAL_OPTION_VARIABLES].sort()).toEqual(
      ['DIB_CHECKSUM', 'DIB_DEBUG_TRACE', 'DIB_IMAGE_CACHE', 'DIB_JOURNAL_SIZE', 'DIB_NO_TMPFS', 'DIB_OFFLINE', 'IMAGE_NAME', 'IMAGE_TYPE', 'MAX_ONLINE_RESIZE'],
    );
    expect(KEY_NEUTRAL_OPTION_VARIABLES.has('ARCH')).toBe(false);
  });
});

describe('every option that changes outputs is in the cache keys', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
    // Two identical copies of the flavours: --flavours-path's examples name them.
    for (const copy of ['one', 'two']) {
      writeTree(join(tmp.path, copy), {
        'os/flavour-provides': 'operating-system\n',
        'os/root.d/10-root': hook('echo root'),
        'os/bin/install-packages': hook('echo install'),
        'app/flavour-deps': 'os\n',
        'app/install.d/50-app': hook('echo app'),
        'app/finalise.d/50-fin': hook('echo fin'),
      });
    }
  });
  afterEach(() => tmp.cleanup());

  /** Layer keys and the output key of a build of `app` with one field set through a build spec. */
  const keys = async (f: AnyField, example: unknown): Promise<{ layers: string[]; output: string }> => {
    const request = buildRequest(kindOf(f), ['app'], {}, {}, tmp.path, { values: { [f.spec]: example }, label: 'spec' });
    const build = await resolveBuild(request, { builtIn: join(tmp.path, 'one') });
    const layers = build.cache.stages.map((k) => k.key);
    // Computed here rather than read from build.cache: --no-cache leaves that undefined.
    return { layers, output: outputKey(build, layers[layers.length - 1]!, diskKeyText(build.disk)) };
  };

  it.each(ALL.map((f) => [f.key, f] as const))('%s', async (_, f) => {
    const [a, b] = [await keys(f, f.examples[0]), await keys(f, f.examples[1])];
    if (f.cache === 'none') {
      expect(b).toEqual(a);
    } else {
      expect(b.output).not.toBe(a.output);
      if (f.cache === 'tree') expect(b.layers.every((key, i) => key !== a.layers[i])).toBe(true);
      else expect(b.layers).toEqual(a.layers);
    }
  });
});

describe('values from the environment', () => {
  const request = (env: Record<string, string>, cli = {}) => buildRequest('disk', ['x'], cli, env, '/work');
  const error = (env: Record<string, string>): string => {
    try {
      request(env);
    } catch (e) {
      return (e as Error).message + ((e as { hint?: string }).hint ? ` | ${(e as { hint: string }).hint}` : '');
    }
    return 'accepted';
  };

  it('rejects bad values with one line naming the variable', () => {
    expect(error({ DIB_JOURNAL_SIZE: 'abc' })).toBe('DIB_JOURNAL_SIZE "abc" is not a whole number of MiB (at least 1) | set DIB_JOURNAL_SIZE to a whole number of MiB (at least 1), e.g. 64');
    expect(error({ KILN_CHECKPOINT_SECONDS: 'soon' })).toBe('KILN_CHECKPOINT_SECONDS "soon" is not a number of seconds | set KILN_CHECKPOINT_SECONDS to a number of seconds, e.g. 8');
    expect(error({ KILN_CACHE_MAX_AGE_DAYS: '-1' })).toMatch(/^KILN_CACHE_MAX_AGE_DAYS "-1" is not a number of days/);
    expect(error({ SOURCE_DATE_EPOCH: '1.5' })).toMatch(/^SOURCE_DATE_EPOCH "1.5" is not a whole number of seconds since 1970-01-01/);
    expect(error({ DIB_NO_TMPFS: 'maybe' })).toMatch(/^DIB_NO_TMPFS "maybe" is neither yes nor no/);
    expect(error({ DIB_IMAGE_SIZE: '2X' })).toMatch(/^DIB_IMAGE_SIZE "2X" is not a size/);
    expect(error({ DIB_DEBUG_TRACE: 'lots' })).toMatch(/^DIB_DEBUG_TRACE "lots" is not a whole number/);
    expect(error({ QEMU_IMG_OPTIONS: 'compat' })).toMatch(/^QEMU_IMG_OPTIONS "compat": "compat" is not key=value/);
  });

  it('reads DIB\'s variables when the flag is not given; the flag wins', () => {
    const r = request({ DIB_IMAGE_SIZE: '3', DIB_NO_TMPFS: '1', DIB_OFFLINE: '', ROOT_LABEL: 'mine', KILN_CHECKPOINT_SECONDS: '0.5', SOURCE_DATE_EPOCH: '1700000000' });
    expect([r.imageSizeBytes, r.noTmpfs, r.offline, r.rootLabel, r.checkpointSeconds, r.sourceDateEpoch]).toEqual([3 * 1024 ** 3, true, false, 'mine', 0.5, 1700000000]);
    expect(r.origins).toMatchObject({ imageSizeBytes: 'DIB_IMAGE_SIZE', rootLabel: 'ROOT_LABEL' });
    expect(request({ DIB_IMAGE_SIZE: '3' }, { imageSizeBytes: '1G' }).imageSizeBytes).toBe(1024 ** 3);
    expect(request({}).cacheMaxAgeDays).toBe(7);
  });

  it('gives hooks the validated values, never the raw variables options read', () => {
    const r = request({ DIB_JOURNAL_SIZE: '32', KILN_CHECKPOINT_SECONDS: '3', SOURCE_DATE_EPOCH: '5' }, { rootLabel: 'r' });
    const vars = optionVariables(r);
    expect(vars).toContainEqual({ name: 'DIB_JOURNAL_SIZE', value: '32', source: 'DIB_JOURNAL_SIZE' });
    expect(vars).toContainEqual({ name: 'SOURCE_DATE_EPOCH', value: '5', source: 'SOURCE_DATE_EPOCH' });
    expect(vars).toContainEqual({ name: 'DIB_ROOT_LABEL', value: 'r', source: '--root-label' });
    expect(vars).toContainEqual({ name: 'ARCH', value: 'amd64', source: 'kiln' });
    expect(vars.map((v) => v.name)).not.toContain('KILN_CHECKPOINT_SECONDS');
    expect(OPTION_ENV_NAMES.has('KILN_CHECKPOINT_SECONDS')).toBe(true);
  });
});

describe('values from a build spec', () => {
  const spec = (values: Record<string, unknown>, kind: BuildKind = 'disk') => buildRequest(kind, ['x'], {}, {}, '/work', { values, label: 'build.json' });
  it('takes JSON types and says what it expected otherwise', () => {
    expect(spec({ types: ['raw', 'tar'], checksum: true, trace: 2, imageSize: 3 })).toMatchObject({ types: ['raw', 'tar'], checksum: true, debugTrace: 2, imageSizeBytes: 3 * 1024 ** 3 });
    expect(() => spec({ checksum: 'yes' })).toThrow('build.json: checksum: expected true or false, got "yes"');
    expect(() => spec({ packages: 'vim' })).toThrow('build.json: packages: expected a list of strings, got "vim"');
    expect(() => spec({ imageSize: 'big' })).toThrow('build.json: imageSize "big" is not a size');
    expect(() => spec({ types: ['qcow2'] }, 'ramdisk')).toThrow('build.json: types is not an option of ramdisk builds');
  });
});

describe('the commands\' options come from the table', () => {
  const optionsOf = (kind: BuildKind): string[] => defineBuildCommand('c', kind, '', '').options.map((o) => o.flags);
  it('each command has exactly the fields that are its options, plus its own flags', () => {
    for (const kind of ['disk', 'ramdisk'] as const) {
      const fromTable = ALL.filter((f) => f.cli && fieldApplies(f, kind)).map((f) => f.cli!.flags);
      expect(optionsOf(kind).filter((flags) => !['--version', '--spec <file>', '--check-reproducible', '--dry-run', '--json', '--debug', '--progress-fd <fd>'].includes(flags))).toEqual(fromTable);
    }
    expect(optionsOf('ramdisk')).toContain('--compress <method>');
    expect(optionsOf('ramdisk')).not.toContain('-t, --type <types>');
  });

  it('counts -x, collects -p, and reads --no-tmpfs as the option being on', () => {
    const program: Command = defineBuildCommand('c', 'disk', '', '');
    const { request, flags } = parseBuildArgs(program, 'disk', ['-xx', '-p', 'a,b', '-p', 'c', '--no-tmpfs', '--no-cache', '--dry-run', '-o', 'out.raw', '-t', 'raw', 'os']);
    expect([request.debugTrace, request.packages, request.noTmpfs, request.noCache, request.skipBase, flags.dryRun]).toEqual([2, ['a', 'b', 'c'], true, true, false, true]);
    expect(request.imageName).toBe(join(process.cwd(), 'out'));
    expect(request.origins).toMatchObject({ debugTrace: '--trace', packages: '--packages', noTmpfs: '--no-tmpfs' });
  });
});
