// Reproducibility building blocks: SOURCE_DATE_EPOCH parsing and the newest-input default, the
// derived identifiers of disks, the normalisation rules as find(1) arguments, and the pure parts
// of rebuilding ext filesystems.
import { execFileSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { timeFixScript, usedInodes, writeIntoArgv } from '../../lib/block-device/ext-rebuild.js';
import { buildRequest } from '../../lib/config/parse-options.js';
import { UsageError } from '../../lib/errors.js';
import { datedPlan, loadAndPlan } from '../../lib/plan/load-flavours.js';
import { clampFindArgs, cleanFindArgs, NORMALISE_RULES, normaliseTableMarkdown } from '../../lib/reproducible/normalise.js';
import { derivedRandom, diskSeedInputs } from '../../lib/plan/disk-seed.js';
import { folderTime, isoDate, newestInput, newestOf } from '../../lib/reproducible/source-date.js';
import { stageKeys } from '../../lib/plan/cache-keys.js';
import { hook, tempDir, writeTree } from '../helpers/tree.js';

describe('SOURCE_DATE_EPOCH', () => {
  it('accepts whole seconds and refuses anything else', () => {
    const epoch = (values: Record<string, string>, env: Record<string, string> = {}) => buildRequest('disk', ['x'], values, env, '/').sourceDateEpoch;
    expect(epoch({ sourceDateEpoch: '1700000000' })).toBe(1700000000);
    expect(epoch({}, { SOURCE_DATE_EPOCH: '0' })).toBe(0);
    for (const bad of ['-1', '1.5', 'yesterday']) {
      expect(() => epoch({ sourceDateEpoch: bad }), bad).toThrow(UsageError);
      expect(() => epoch({}, { SOURCE_DATE_EPOCH: bad }), bad).toThrow(/SOURCE_DATE_EPOCH/);
    }
  });

  it('--source-date-epoch wins over the variable, which wins over the newest input', async () => {
    const tmp = tempDir();
    try {
      writeTree(tmp.path, { 'f/os/flavour-provides': 'operating-system\n', 'f/os/root.d/10-root': hook('true') });
      utimesSync(join(tmp.path, 'f/os/root.d/10-root'), 1650000000, 1650000000);
      const plan = (raw: Record<string, unknown>, env: Record<string, string>) =>
        datedPlan(buildRequest('disk', ['os'], { flavoursPath: join(tmp.path, 'f'), types: ['tar'], skipBase: true, ...raw }, env, tmp.path), { builtIn: join(tmp.path, 'f') });
      const given = await plan({ sourceDateEpoch: '1600000000' }, { SOURCE_DATE_EPOCH: '1500000000' });
      expect(given.sourceDate).toEqual({ epoch: 1600000000, origin: '--source-date-epoch', explicit: true });
      expect(given.environment.find((v) => v.name === 'SOURCE_DATE_EPOCH')).toEqual({ name: 'SOURCE_DATE_EPOCH', value: '1600000000', source: '--source-date-epoch' });
      expect((await plan({}, { SOURCE_DATE_EPOCH: '1500000000' })).sourceDate.epoch).toBe(1500000000);
      const derived = await plan({}, {});
      // The test folder is not in git: the newest file of the flavour (folders are touched by writing files).
      expect(derived.sourceDate.explicit).toBe(false);
      expect(derived.sourceDate.origin).toMatch(/^newest input: flavour os \(newest file, \d{4}-/);
      // A time read elsewhere (a build VM gets its host's, read where the flavours' git history is) is taken as it is.
      const host = { epoch: 1400000000, origin: 'newest input: flavour os (last git commit, 2014-05-13T16:53:20Z)', explicit: false };
      const request = buildRequest('disk', ['os'], { flavoursPath: join(tmp.path, 'f'), types: ['tar'], skipBase: true }, {}, tmp.path);
      expect((await datedPlan(request, { builtIn: join(tmp.path, 'f'), newestInput: host })).sourceDate).toEqual(host);
    } finally {
      tmp.cleanup();
    }
  });

  it('a derived SOURCE_DATE_EPOCH is not part of the layer keys; one the user gives is', async () => {
    const tmp = tempDir();
    try {
      writeTree(tmp.path, { 'f/os/flavour-provides': 'operating-system\n', 'f/os/root.d/10-root': hook('true') });
      const keys = async (env: Record<string, string>) => stageKeys(await datedPlan(buildRequest('disk', ['os'],
        { flavoursPath: join(tmp.path, 'f'), types: ['tar'], skipBase: true }, env, tmp.path), { builtIn: join(tmp.path, 'f') }), {}).map((k) => k.key);
      const derived = await keys({});
      // A newer time on the same content moves the derived epoch but no key.
      utimesSync(join(tmp.path, 'f/os/flavour-provides'), 2000000000, 2000000000);
      expect((await keys({}))[0]).toBe(derived[0]);
      expect((await keys({ SOURCE_DATE_EPOCH: '1700000000' }))[0]).not.toBe((await keys({ SOURCE_DATE_EPOCH: '1700000001' }))[0]);
    } finally {
      tmp.cleanup();
    }
  });

  it('the newest input is the latest of the flavours and host files; a git folder counts its last commit', async () => {
    const tmp = tempDir();
    try {
      mkdirSync(join(tmp.path, 'repo/flavour'), { recursive: true });
      writeFileSync(join(tmp.path, 'repo/flavour/README.md'), 'x\n');
      const git = (...args: string[]) => execFileSync('git', ['-C', join(tmp.path, 'repo'), ...args], {
        env: { ...process.env, GIT_AUTHOR_DATE: '@1600000000 +0000', GIT_COMMITTER_DATE: '@1600000000 +0000', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' },
      });
      git('init', '-q');
      git('add', '.');
      git('commit', '-q', '-m', 'one');
      // An uncommitted edit does not move it (the reproducible-builds.org recipe).
      writeFileSync(join(tmp.path, 'repo/flavour/README.md'), 'edited\n');
      expect(await folderTime('flavour f', join(tmp.path, 'repo/flavour'))).toEqual({ name: 'flavour f', epoch: 1600000000, how: 'last git commit' });
      writeFileSync(join(tmp.path, 'plain'), 'y');
      utimesSync(join(tmp.path, 'plain'), 1650000000, 1650000000);
      const newest = await newestInput([{ name: 'f', path: join(tmp.path, 'repo/flavour') }], [join(tmp.path, 'plain')]);
      expect(newest).toEqual({ epoch: 1650000000, origin: `newest input: ${join(tmp.path, 'plain')} (modification time, 2022-04-15T05:20:00Z)`, explicit: false });
    } finally {
      tmp.cleanup();
    }
  });

  it('names the newest input and says so when there is none', () => {
    expect(newestOf([{ name: 'a', epoch: 5, how: 'x' }, { name: 'b', epoch: 9, how: 'y' }]).origin).toBe(`newest input: b (y, ${isoDate(9)})`);
    expect(newestOf([]).epoch).toBe(0);
  });

  it('plans without read inputs (tests) fall back to 0, never to the clock', () => {
    const tmp = tempDir();
    try {
      writeTree(tmp.path, { 'f/os/flavour-provides': 'operating-system\n' });
      const request = buildRequest('disk', ['os'], { flavoursPath: join(tmp.path, 'f'), types: ['tar'], skipBase: true }, {}, tmp.path);
      expect(loadAndPlan(request, { builtIn: join(tmp.path, 'f') }).sourceDate.epoch).toBe(0);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('derived identifiers', () => {
  it('the seed of a disk ignores SOURCE_DATE_EPOCH, given or derived: two builds differing only in it differ only in times', async () => {
    const tmp = tempDir();
    try {
      writeTree(tmp.path, { 'f/os/flavour-provides': 'operating-system\n', 'f/os/root.d/10-root': hook('true'), 'f/os/install.d/10-x': hook('true') });
      const seed = async (env: Record<string, string>, extra: string[] = []) => diskSeedInputs(await datedPlan(buildRequest('disk', ['os', ...extra],
        { flavoursPath: join(tmp.path, 'f'), types: ['raw'], skipBase: true }, env, tmp.path), { builtIn: join(tmp.path, 'f') }), {}, 'mbr 1 partition');
      const given = await seed({ SOURCE_DATE_EPOCH: '1700000000' });
      expect(await seed({ SOURCE_DATE_EPOCH: '1700086400' })).toBe(given);
      expect(await seed({})).toBe(given);
      // What shapes the tree does move it.
      writeTree(tmp.path, { 'f/more/install.d/20-y': hook('true') });
      expect(await seed({ SOURCE_DATE_EPOCH: '1700000000' }, ['more'])).not.toBe(given);
    } finally {
      tmp.cleanup();
    }
  });

  it('the same seed gives the same bytes however they are drawn; another seed other bytes', () => {
    const a = derivedRandom('root abc\nepoch 1');
    const b = derivedRandom('root abc\nepoch 1');
    const first = [...a.bytes(7), ...a.bytes(40)];
    expect(first).toEqual([...b.bytes(47)]);
    expect([...derivedRandom('root abc\nepoch 2').bytes(47)]).not.toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(20);
  });
});

describe('tree normalisation', () => {
  it('removes, empties and prunes in one find run, then clamps newer times without following links', () => {
    const rules = [
      { path: 'var/log/dpkg.log', action: 'remove' as const, why: '' },
      { path: 'etc/machine-id', action: 'empty' as const, why: '' },
      { path: 'var/lib/kiln', action: 'remove-folder' as const, why: '' },
    ];
    expect(cleanFindArgs(rules)).toEqual([
      'find', '.',
      '(', '-path', './var/log/dpkg.log', ')', '-type', 'f', '-delete', '-o',
      '(', '-path', './etc/machine-id', ')', '-type', 'f', '-size', '+0', '-exec', 'truncate', '--size=0', '{}', '+', '-o',
      '(', '-path', './var/lib/kiln', ')', '-type', 'd', '-empty', '-delete',
    ]);
    expect(clampFindArgs(1700000000)).toEqual(['find', '.', '-newermt', '@1700000000', '-exec', 'touch', '--no-dereference', '--date=@1700000000', '{}', '+']);
  });

  it('applied with the real find on a tree: logs go, machine-id is emptied, times are clamped', () => {
    const tmp = tempDir();
    try {
      writeTree(tmp.path, {
        'var/log/dpkg.log': 'dated', 'var/log/apt/history.log': 'dated', 'etc/machine-id': '0123\n', 'var/lib/kiln/apt-policy': 'x',
        'usr/share/doc/a/old': 'kept', 'usr/lib/new': 'clamped',
      });
      utimesSync(join(tmp.path, 'usr/share/doc/a/old'), 1500000000, 1500000000);
      execFileSync(cleanFindArgs(NORMALISE_RULES)[0]!, cleanFindArgs(NORMALISE_RULES).slice(1), { cwd: tmp.path });
      execFileSync('find', clampFindArgs(1700000000).slice(1), { cwd: tmp.path });
      const listing = execFileSync('find', ['.', '-printf', '%p %s %T@\n'], { cwd: tmp.path }).toString().split('\n').filter(Boolean).sort();
      expect(listing.some((l) => l.startsWith('./var/log/dpkg.log') || l.startsWith('./var/lib/kiln'))).toBe(false);
      expect(listing).toContain('./etc/machine-id 0 1700000000.0000000000');
      expect(listing).toContain('./usr/share/doc/a/old 4 1500000000.0000000000');
      expect(listing).toContain('./usr/lib/new 7 1700000000.0000000000');
      expect(listing.every((l) => Number(l.split(' ')[2]) <= 1700000000)).toBe(true);
    } finally {
      tmp.cleanup();
    }
  });

  it('documents every rule in a README table', () => {
    const table = normaliseTableMarkdown();
    for (const rule of NORMALISE_RULES) expect(table).toContain(`\`/${rule.path}\``);
  });
});

describe('ext rebuild (pure parts)', () => {
  const dump = `Inode count:              32\nInodes per group:         16\nGroup 0: (Blocks 0-8191)\n  Free inodes: 14-16\nGroup 1: (Blocks 8192-16383)\n  Free inodes: 18, 20-32\n`;
  it('reads the used inodes from dumpe2fs: everything outside the free ranges', () => {
    expect(usedInodes(dump)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 17, 19]);
    expect(() => usedInodes('nothing')).toThrow(/Inode count/);
  });
  it('sets access and change times of the root folder and every file inode, never the reserved ones', () => {
    expect(timeFixScript([1, 2, 7, 11, 17], 1700000000).trim().split('\n')).toEqual([
      'set_inode_field <2> atime @1700000000', 'set_inode_field <2> ctime @1700000000',
      'set_inode_field <11> atime @1700000000', 'set_inode_field <11> ctime @1700000000',
      'set_inode_field <17> atime @1700000000', 'set_inode_field <17> ctime @1700000000',
    ]);
  });
  it('writes the new filesystem in place, skipping zero blocks', () => {
    expect(writeIntoArgv('/w/root.ext', '/w/disk.raw', 1048576)).toEqual(['dd', 'if=/w/root.ext', 'of=/w/disk.raw', 'bs=1M', 'seek=1048576', 'oflag=seek_bytes', 'conv=notrunc,sparse', 'status=none']);
  });
});
