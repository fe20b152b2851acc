// The merged hook tree on real files: folders of all flavours merge at every depth, two files at
// one path are an error naming both flavours (a file against a folder too), links are copied as
// their targets, and kiln's wrapper gives hooks diskimage-builder's shell contract: $_LIB with the
// library elements source, die, get_image_element_array and dib-run-parts on the PATH.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildHookTree as buildTree, KILN_DIR } from '../../lib/engine/hook-tree.js';
import { hookTreeSources } from '../../lib/plan/hook-tree-sources.js';
import { hook, tempDir, writeTree } from '../helpers/tree.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const bash = (body: string) => ({ content: `#!/bin/bash\n${body}\n`, mode: 0o755 });
const flavour = (name: string) => ({ name, path: join(tmp.path, 'fl', name), origin: 'test' });
/** What the engine does: list and check the flavours (as resolveBuild does), then copy. */
const buildHookTree = (hooks: string, flavours: ReturnType<typeof flavour>[]) => buildTree(hooks, hookTreeSources(flavours));
const checkHookTree = (flavours: ReturnType<typeof flavour>[]) => hookTreeSources(flavours);

/** Runs a hook through the wrapper, as the engine does on the host. */
function runHook(hooks: string, hookPath: string, env: Record<string, string> = {}) {
  const r = spawnSync(join(hooks, KILN_DIR, 'run-hook'), [hookPath], {
    env: { PATH: '/usr/bin:/bin', TMP_HOOKS_PATH: hooks, ...env },
    encoding: 'utf8',
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('hook tree merge', () => {
  it('merges folders of all flavours at every depth and copies top-level files, the last flavour winning', async () => {
    writeTree(tmp.path, {
      'fl/growroot/init-scripts/systemd/growroot.service': '[Unit]\n',
      'fl/growroot/static/usr/local/sbin/growroot': hook('echo grow'),
      'fl/growroot/README.md': 'growroot\n',
      'fl/keys/init-scripts/systemd/ssh-keygen.service': '[Unit]\n',
      'fl/keys/static/usr/local/sbin/keys': hook('echo keys'),
      'fl/keys/install.d/50-keys': hook(),
      'fl/keys/README.md': 'keys\n',
      'fl/keys/tests/test_x.py': 'never copied\n',
    });
    const hooks = join(tmp.path, 'hooks');
    await buildHookTree(hooks, [flavour('growroot'), flavour('keys')]);
    expect(existsSync(join(hooks, 'init-scripts/systemd/growroot.service'))).toBe(true);
    expect(existsSync(join(hooks, 'init-scripts/systemd/ssh-keygen.service'))).toBe(true);
    expect(existsSync(join(hooks, 'static/usr/local/sbin/growroot'))).toBe(true);
    expect(statSync(join(hooks, 'static/usr/local/sbin/keys')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(hooks, 'README.md'), 'utf8')).toBe('keys\n');
    expect(existsSync(join(hooks, 'tests'))).toBe(false);
  });

  it('refuses two files at one path, at any depth, naming both flavours (before anything is written)', () => {
    writeTree(tmp.path, {
      'fl/a/init-scripts/systemd/x.service': 'a\n',
      'fl/b/init-scripts/systemd/x.service': 'b\n',
    });
    expect(() => checkHookTree([flavour('a'), flavour('b')])).toThrow('init-scripts/systemd/x.service exists in flavour "a" and in flavour "b"');
  });

  it('refuses a file in one flavour where another has a folder', () => {
    writeTree(tmp.path, {
      'fl/a/static/etc/thing': 'a file\n',
      'fl/b/static/etc/thing/inside': 'in a folder\n',
    });
    expect(() => checkHookTree([flavour('a'), flavour('b')])).toThrow('static/etc/thing is a file in flavour "a" and a folder in flavour "b"');
    expect(() => checkHookTree([flavour('b'), flavour('a')])).toThrow('static/etc/thing is a file in flavour "a" and a folder in flavour "b"');
  });

  it('refuses a top-level file where another flavour has a folder, and a file where another has an empty folder', async () => {
    writeTree(tmp.path, {
      'fl/a/init-scripts/systemd/x.service': 'a\n',
      'fl/b/init-scripts': 'a file\n',
      'fl/c/static/etc/thing': 'a file\n',
    });
    mkdirSync(join(tmp.path, 'fl/d/static/etc/thing'), { recursive: true });
    expect(() => checkHookTree([flavour('a'), flavour('b')])).toThrow('init-scripts is a file in flavour "b" and a folder in flavour "a"');
    expect(() => checkHookTree([flavour('b'), flavour('a')])).toThrow('init-scripts is a file in flavour "b" and a folder in flavour "a"');
    expect(() => checkHookTree([flavour('c'), flavour('d')])).toThrow('static/etc/thing is a file in flavour "c" and a folder in flavour "d"');
    // Unchecked, the copy itself fails half-way through the build: the check is what stops it first.
    const unchecked = [flavour('a'), flavour('b')].map((f) => ({ flavour: f.name, path: f.path, folders: f.name === 'a' ? ['init-scripts'] : [], files: f.name === 'b' ? ['init-scripts'] : [] }));
    await expect(buildTree(join(tmp.path, 'hooks'), unchecked)).rejects.toThrow();
  });

  it('copies links as their targets, and refuses a link back up the tree', async () => {
    writeTree(tmp.path, {
      'shared/90-shared': hook('echo shared'),
      'shared-dir/data.txt': 'data\n',
      'fl/a/install.d/90-shared': { link: join(tmp.path, 'shared/90-shared') },
      'fl/a/static/opt/data': { link: join(tmp.path, 'shared-dir') },
      'fl/loops/static/loop': { link: '..' },
    });
    const hooks = join(tmp.path, 'hooks');
    await buildHookTree(hooks, [flavour('a')]);
    expect(lstatSync(join(hooks, 'install.d/90-shared')).isFile()).toBe(true);
    expect(readFileSync(join(hooks, 'static/opt/data/data.txt'), 'utf8')).toBe('data\n');
    expect(() => checkHookTree([flavour('loops')])).toThrow(`${join(tmp.path, 'fl/loops')}/static/loop links back to a folder above it (flavour "loops")`);
  });
});

describe("the hook wrapper: diskimage-builder's shell contract", () => {
  it('gives hooks $_LIB (die, common-functions, img-functions), get_image_element_array and dib-run-parts', async () => {
    writeTree(tmp.path, {
      'fl/a/extra-data.d/50-lib': bash([
        'set -eu',
        'source "$_LIB/img-functions"',
        'type mount_proc_dev_sys unmount_dir run_in_target select_boot_kernel_initrd > /dev/null',
        'eval declare -A elements=($(get_image_element_array))',
        'echo "a is at ${elements[a]}, b is at ${elements[b]}"',
        'command -v dib-run-parts',
      ].join('\n')),
      'fl/a/extra-data.d/60-die': bash('false || die "could not frobnicate"'),
    });
    const hooks = join(tmp.path, 'hooks');
    await buildHookTree(hooks, [flavour('a')]);
    const yaml = `a: ${join(tmp.path, 'fl/a')}\nb: /elsewhere/b`;
    const ok = runHook(hooks, join(hooks, 'extra-data.d/50-lib'), { IMAGE_ELEMENT_YAML: yaml });
    expect(ok.out).toContain(`a is at ${join(tmp.path, 'fl/a')}, b is at /elsewhere/b`);
    expect(ok.out).toContain(join(hooks, KILN_DIR, 'bin/dib-run-parts'));
    expect(ok.code).toBe(0);
    const died = runHook(hooks, join(hooks, 'extra-data.d/60-die'));
    expect(died.out).toContain('could not frobnicate');
    expect(died.code).toBe(1);
  });

  it('select_boot_kernel_initrd picks the newest kernel and its initramfs', async () => {
    writeTree(tmp.path, {
      'fl/a/cleanup.d/50-kernel': bash('source "$_LIB/img-functions"\nselect_boot_kernel_initrd "$TARGET_ROOT"\necho "kernel=$KERNEL ramdisk=$RAMDISK"'),
      'root/boot/vmlinuz-6.1.0-9-amd64': '',
      'root/boot/vmlinuz-6.1.0-10-amd64': '',
      'root/boot/initrd.img-6.1.0-9-amd64': '',
      'root/boot/initrd.img-6.1.0-10-amd64': '',
    });
    const hooks = join(tmp.path, 'hooks');
    await buildHookTree(hooks, [flavour('a')]);
    const r = runHook(hooks, join(hooks, 'cleanup.d/50-kernel'), { TARGET_ROOT: join(tmp.path, 'root') });
    expect(r.out).toContain('kernel=vmlinuz-6.1.0-10-amd64 ramdisk=initrd.img-6.1.0-10-amd64');
    expect(r.code).toBe(0);
  });
});

describe('dib-run-parts', () => {
  const runParts = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(join(import.meta.dirname, '../../lib/dib/dib-run-parts'), args, { env: { PATH: '/usr/bin:/bin', ...env }, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeEach(() => {
    writeTree(tmp.path, {
      'environment.d/10-greeting': 'export GREETING=hello\n',
      'run.d/100-z': hook('echo "100-z $GREETING"'),
      'run.d/10-a': hook('echo 10-a'),
      'run.d/9-b': hook('echo 9-b'),
      'run.d/abc': hook('echo abc'),
      'run.d/20-skip.sh': hook('echo never'),
      'run.d/30-not-executable': { content: '#!/bin/sh\necho never\n', mode: 0o644 },
    });
  });

  it('runs executable, well-named files in `sort -n` order after sourcing environment.d, with a profile', () => {
    const r = runParts([join(tmp.path, 'run.d')], { DIB_DEBUG_TRACE: '1' });
    expect(r.stdout).toBe('abc\n9-b\n10-a\n100-z hello\n');
    expect(r.stderr).toContain('Ignoring non-executable files: 30-not-executable');
    expect(r.stderr).toContain('Ignoring non-conforming filenames: 20-skip.sh');
    expect(r.stderr).toMatch(/Target: run\.d[\s\S]*100-z/);
    expect(r.code).toBe(0);
  });

  it('--list prints the scripts in order; a failing script stops the run with its status', () => {
    const list = runParts(['--list', join(tmp.path, 'run.d')]);
    expect(list.stdout.split('\n').filter(Boolean).map((l) => l.split('/').pop())).toEqual(['abc', '9-b', '10-a', '100-z']);
    writeTree(tmp.path, { 'run.d/50-fail': hook('exit 7') });
    const failed = runParts([join(tmp.path, 'run.d')]);
    expect(failed.stdout).toBe('abc\n9-b\n10-a\n');
    expect(failed.stderr).toContain('50-fail failed with status 7');
    expect(failed.code).toBe(7);
  });

  it('refuses a missing folder with its usage', () => {
    const r = runParts([join(tmp.path, 'nope')]);
    expect(r.stderr).toContain('must exist and be a directory');
    expect(r.code).toBe(1);
  });
});
