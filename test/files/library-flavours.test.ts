// kiln's versions of diskimage-builder's library elements, their scripts run on real files (no
// root, no image): pkg-map and svc-map over the tables kiln makes of the flavours' files,
// cache-url with file:// sources, source-repositories from a real local git repository and a
// tarball, and the manifests copied out beside the image.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nameMapFiles } from '../../lib/flavours/name-maps.js';
import { repo } from '../helpers/host.js';
import { tempDir, writeTree } from '../helpers/tree.js';

const flavours = join(repo, 'flavours');
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

/** Runs a flavour script with only `env` (plus PATH), like kiln does for hooks. */
function script(path: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(join(flavours, path), args, { env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', KILN_SUDO: '', ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, out: `${r.stdout}${r.stderr}` };
}

/** Writes kiln's tables of the flavours below `fl` into a hook tree at `hooks`. */
function tables(names: string[], hooks: string): void {
  for (const [relative, text] of Object.entries(nameMapFiles(names.map((name) => ({ name, path: join(tmp.path, 'fl', name) }))))) {
    mkdirSync(join(hooks, relative, '..'), { recursive: true });
    writeFileSync(join(hooks, relative), text);
  }
}

describe('pkg-map', () => {
  beforeEach(() => {
    writeTree(tmp.path, {
      'fl/grow/pkg-map': JSON.stringify({
        default: { growpart: 'cloud-utils-growpart', docs: 'grow-docs' },
        family: { debian: { growpart: 'cloud-guest-utils', docs: '' }, redhat: { growpart: 'growpart-rh' } },
        distro: { ubuntu: { growpart: 'cloud-utils' } },
        release: { debian: { bookworm: { growpart: 'cloud-guest-utils fdisk' } } },
      }),
    });
    tables(['grow'], join(tmp.path, 'hooks'));
  });
  const pkgMap = (args: string[], env: Record<string, string> = {}) =>
    script('pkg-map/bin/pkg-map', args, { KILN_PKG_MAP_DIR: join(tmp.path, 'hooks/.kiln/pkg-map'), DISTRO_NAME: 'debian', DIB_RELEASE: 'bookworm', ...env });

  it('the most specific mapping wins: release, distribution, family, default; an empty one drops the package', () => {
    expect(pkgMap(['--element', 'grow', 'growpart', 'docs']).stdout).toBe('cloud-guest-utils fdisk\n');
    expect(pkgMap(['--element', 'grow', 'growpart'], { DIB_RELEASE: 'trixie' }).stdout).toBe('cloud-guest-utils\n');
    expect(pkgMap(['--element', 'grow', '--distro', 'ubuntu', 'growpart', 'docs']).stdout).toBe('cloud-utils\n');
    expect(pkgMap(['--element', 'grow', '--distro', 'rocky', '--release', '9', 'growpart', 'docs']).stdout).toBe('growpart-rh\ngrow-docs\n');
    expect(pkgMap(['--element', 'grow', '--distro', 'arch', 'growpart']).stdout).toBe('cloud-utils-growpart\n');
  });

  it('unmapped names fail, or pass unchanged with --missing-ok; --prefix marks the output', () => {
    const unmapped = pkgMap(['--element', 'grow', 'vim']);
    expect(unmapped.stderr).toContain('grow has no valid mapping for package vim');
    expect(unmapped.code).toBe(1);
    expect(pkgMap(['--element', 'grow', '--missing-ok', '--prefix', '-', 'vim', 'growpart']).stdout).toBe('-vim\n-cloud-guest-utils fdisk\n');
  });

  it('a flavour without pkg-map is exit 2, or every name unchanged with --missing-ok', () => {
    const missing = pkgMap(['--element', 'nothing', 'vim']);
    expect(missing.stderr).toContain('Required pkg-map for nothing element does not exist');
    expect(missing.code).toBe(2);
    expect(pkgMap(['--element', 'nothing', '--missing-ok', 'vim', 'git']).stdout).toBe('vim\ngit\n');
    expect(pkgMap(['vim']).code).toBe(1);
  });
});

describe('svc-map', () => {
  it('resolves the merged map for the distribution into /usr/share/svc-map/services, which svc-map reads', () => {
    writeTree(tmp.path, {
      'fl/web/svc-map': 'apache:\n  default: httpd\n  debian: apache2\n  redhat: httpd-rh\nmysql:\n  default: mysqld\n',
      'fl/cron/svc-map': 'cron:\n',
    });
    const hooks = join(tmp.path, 'hooks');
    tables(['web', 'cron'], hooks);
    const root = join(tmp.path, 'root');
    const merge = script('svc-map/extra-data.d/10-merge-svc-map-files', [], { TMP_HOOKS_PATH: hooks, TMP_MOUNT_PATH: root, DISTRO_NAME: 'debian' });
    expect(merge.code, merge.out).toBe(0);
    const services = join(root, 'usr/share/svc-map/services');
    expect(readFileSync(services, 'utf8')).toBe('apache: apache2\ncron: cron\nmysql: mysqld\n');
    const svcMap = script('svc-map/bin/svc-map', ['apache', 'mysql', 'unknown'], { KILN_SVC_MAP: services });
    expect(svcMap.stdout).toBe('apache2\nmysqld\nunknown\n');
    script('svc-map/extra-data.d/10-merge-svc-map-files', [], { TMP_HOOKS_PATH: hooks, TMP_MOUNT_PATH: root, DISTRO_NAME: 'fedora' });
    expect(readFileSync(services, 'utf8')).toContain('apache: httpd-rh\n');
  });
});

describe('cache-url', () => {
  it('downloads once, keeps the cached copy when the source did not change, and fails clearly', () => {
    writeTree(tmp.path, { 'src/file.txt': 'one\n' });
    const dest = join(tmp.path, 'cache/file.txt');
    const url = `file://${join(tmp.path, 'src/file.txt')}`;
    expect(script('cache-url/bin/cache-url', [url, dest]).out).toContain('downloaded');
    expect(readFileSync(dest, 'utf8')).toBe('one\n');
    const again = script('cache-url/bin/cache-url', [url, dest]);
    expect(again.out).toContain('using the cached');
    expect(again.code).toBe(0);
    const missing = script('cache-url/bin/cache-url', [`file://${join(tmp.path, 'src/nope')}`, join(tmp.path, 'cache/nope')]);
    expect(missing.code).toBe(1);
    expect(existsSync(join(tmp.path, 'cache/nope'))).toBe(false);
    expect(script('cache-url/bin/cache-url', ['only-one']).code).toBe(1);
  });
});

describe('source-repositories', () => {
  const git = (dir: string, ...args: string[]) => execFileSync('git', ['-C', dir, ...args], {
    env: { PATH: '/usr/bin:/bin', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e', HOME: tmp.path },
  }).toString().trim();

  let hooks: string;
  let root: string;
  let env: Record<string, string>;
  let v1: string;
  beforeEach(() => {
    const upstream = join(tmp.path, 'upstream');
    mkdirSync(upstream);
    git(upstream, 'init', '-q', '-b', 'main');
    writeFileSync(join(upstream, 'app.txt'), 'version 1\n');
    git(upstream, 'add', '.');
    git(upstream, 'commit', '-q', '-m', 'one');
    git(upstream, 'tag', 'v1');
    v1 = git(upstream, 'rev-parse', 'HEAD');
    writeFileSync(join(upstream, 'app.txt'), 'version 2\n');
    git(upstream, 'commit', '-q', '-am', 'two');
    execFileSync('tar', ['-czf', join(tmp.path, 'docs.tar.gz'), '-C', join(repo, 'flavours'), 'pkg-map']);
    hooks = join(tmp.path, 'hooks');
    root = join(tmp.path, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    cpSync(join(flavours, 'cache-url/bin'), join(hooks, 'bin'), { recursive: true });
    writeTree(hooks, {
      'source-repository-app': [
        '# the application, at its first release',
        `app git /opt/app ${upstream} v1`,
        `app-main git /opt/app-main $UPSTREAM main`,
        `docs tar /opt/docs file://${join(tmp.path, 'docs.tar.gz')} pkg-map`,
        `conf file /etc/app.conf file://${join(upstream, 'app.txt')}`,
        'pkg package /opt/never',
      ].join('\n'),
    });
    env = { TMP_HOOKS_PATH: hooks, TMP_MOUNT_PATH: root, DIB_IMAGE_CACHE: join(tmp.path, 'cache'), IMAGE_NAME: join(tmp.path, 'out/img'), DIB_DEFAULT_INSTALLTYPE: 'source', UPSTREAM: upstream, HOME: tmp.path, TMPDIR: tmp.path };
  });
  const run = (extra: Record<string, string> = {}) => script('source-repositories/extra-data.d/98-source-repositories', [], { ...env, ...extra });

  it('puts git refs, tarball folders and files into the image, listed and with a git manifest', () => {
    const r = run();
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(join(root, 'opt/app/app.txt'), 'utf8')).toBe('version 1\n');
    expect(git(join(root, 'opt/app'), 'rev-parse', 'HEAD')).toBe(v1);
    expect(git(join(root, 'opt/app'), 'remote', 'get-url', 'origin')).toBe(join(tmp.path, 'upstream'));
    expect(readFileSync(join(root, 'opt/app-main/app.txt'), 'utf8')).toBe('version 2\n');
    expect(existsSync(join(root, 'opt/docs/bin/pkg-map'))).toBe(true);
    expect(readFileSync(join(root, 'etc/app.conf'), 'utf8')).toBe('version 2\n');
    expect(existsSync(join(root, 'opt/never'))).toBe(false);
    expect(readFileSync(join(root, 'etc/dib-source-repositories'), 'utf8')).toBe('/opt/app\n/opt/app-main\n/opt/docs\n/etc/app.conf\n');
    expect(readFileSync(join(root, 'etc/dib-manifests/dib-manifest-git-img'), 'utf8')).toContain(`app git /opt/app ${join(tmp.path, 'upstream')} ${v1}`);
  });

  it('overrides per repository, install types other than source, and offline builds from the cache', () => {
    expect(run().code).toBe(0);
    execFileSync('rm', ['-rf', root]);
    mkdirSync(join(root, 'etc'), { recursive: true });
    execFileSync('mv', [join(tmp.path, 'upstream'), join(tmp.path, 'gone')]);
    const offline = run({ DIB_OFFLINE: '1', DIB_REPOREF_app: 'main', DIB_INSTALLTYPE_app_main: 'package', UPSTREAM: join(tmp.path, 'upstream') });
    expect(offline.code, offline.out).toBe(0);
    expect(offline.out).toContain('offline: app at main');
    expect(offline.out).toContain('app-main: install type package, not source: skipped');
    expect(readFileSync(join(root, 'opt/app/app.txt'), 'utf8')).toBe('version 2\n');
    const online = run({ DIB_REPOREF_app: 'v1' });
    expect(online.code).toBe(1);
    expect(online.out).toMatch(/cannot fetch .*upstream for app/);
  }, 90_000);
});

describe('manifests', () => {
  it('records the build and copies the manifests beside the image, root-only inside it', () => {
    const root = join(tmp.path, 'root');
    writeTree(root, { 'etc/dib-manifests/dib-element-manifest': 'base\ndebian\n' });
    const save = join(tmp.path, 'out/img.d');
    const r = script('manifests/cleanup.d/01-copy-manifests-dir', [], {
      TARGET_ROOT: root, DIB_MANIFEST_IMAGE_DIR: '/etc/dib-manifests', DIB_MANIFEST_SAVE_DIR: `${save}/`, DIB_ENV: 'declare -x DIB_RELEASE="bookworm"', DIB_ARGS: '-o img vm',
    });
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(join(save, 'dib-manifests/dib_arguments'), 'utf8')).toBe('-o img vm\n');
    expect(readFileSync(join(save, 'dib-manifests/dib_environment'), 'utf8')).toBe('declare -x DIB_RELEASE="bookworm"\n');
    expect(readFileSync(join(save, 'dib-manifests/dib-element-manifest'), 'utf8')).toBe('base\ndebian\n');
    expect(execFileSync('stat', ['-c', '%a', join(root, 'etc/dib-manifests/dib_arguments')]).toString().trim()).toBe('600');
  });
});
