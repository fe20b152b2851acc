// The debian, package-installs and local-config flavour scripts run directly (no engine), against
// the real Debian mirror: root.d cold and from its cache, install-packages in a chroot (installs,
// removals, a clear error for a missing package), package-installs' hooks reading the generated
// lists, local-config from a fake home, and the cleanup that leaves no build material behind.
// Mounts are made by with-env/in-chroot and must all be gone afterwards.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eCache } from '../../helpers/e2e.js';
import { isRoot, repo } from '../../helpers/host.js';

const scripts = join(repo, 'test/e2e/flavour-scripts');
const flavours = join(repo, 'flavours');
const debian = join(flavours, 'debian');

interface Result { code: number | null; out: string; seconds: number }

/** Runs argv with the debian flavour's environment (with-env) plus `env`. */
function withEnv(argv: string[], env: Record<string, string> = {}): Result {
  const started = Date.now();
  const r = spawnSync(join(scripts, 'with-env'), [debian, join(flavours, 'base'), join(flavours, 'local-config'), '--', ...argv], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root', DIB_IMAGE_CACHE: e2eCache(), KILN_SUDO: '', ...env },
    encoding: 'utf8',
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, seconds: (Date.now() - started) / 1000 };
}

/** Runs argv inside `root` with `hooks` at /tmp/in_target.d, as kiln's chroot phases do. */
function inChroot(root: string, hooks: string, argv: string[], env: Record<string, string> = {}): Result {
  return withEnv([join(scripts, 'in-chroot'), root, hooks, e2eCache(), '--', ...argv], env);
}

/** Mount points at or below `dir` (other builds on the machine may mount elsewhere meanwhile). */
function mountsBelow(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m === dir || m.startsWith(`${dir}/`));
}

describe.skipIf(!isRoot)('debian flavour scripts (e2e, Debian mirror)', () => {
  let work: string;
  let root: string;
  let hooks: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'kiln-flavour-scripts-'));
    root = join(work, 'root');
    mkdirSync(root);
    // A hook tree like the engine's: the flavours' folders merged, plus the generated lists.
    hooks = join(work, 'hooks');
    for (const f of ['debian', 'base', 'package-installs', 'local-config']) cpSync(join(flavours, f), hooks, { recursive: true, force: true, verbatimSymlinks: true });
    mkdirSync(join(hooks, 'package-installs'), { recursive: true });
    writeFileSync(join(hooks, 'package-installs/install.install'), 'hello pi-test\nmake pi-test\nhello other\n');
    writeFileSync(join(hooks, 'package-installs/install.uninstall'), 'make pi-test\n');
  });
  afterAll(() => {
    // Never remove a tree that still has a mount inside (the bound apt cache would go with it).
    expect(mountsBelow(work)).toEqual([]);
    rmSync(work, { recursive: true, force: true });
  });

  it('root.d bootstraps bookworm into TARGET_ROOT with the right sources, nothing of the host, and caches it', () => {
    const cold = withEnv([join(debian, 'root.d/10-debian-bootstrap')], { TARGET_ROOT: root });
    expect(cold.out.split('\n').slice(-15).join('\n'), cold.out.slice(-3000)).toMatch(/debian: base tree (bootstrapped|ready from the cache)/);
    expect(cold.code).toBe(0);
    const sources = readFileSync(join(root, 'etc/apt/sources.list.d/debian.sources'), 'utf8');
    expect(sources).toContain('Suites: bookworm bookworm-updates');
    expect(sources).toMatch(/URIs: http:\/\/deb\.debian\.org\/debian-security\nSuites: bookworm-security/);
    expect(existsSync(join(root, 'etc/apt/sources.list'))).toBe(false);
    expect(existsSync(join(root, 'etc/resolv.conf'))).toBe(false);
    expect(existsSync(join(root, 'etc/apt/apt.conf.d/99mmdebstrap'))).toBe(false);
    expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('debian\n');
    expect(existsSync(join(root, 'sbin/init'))).toBe(true);
    expect(readdirSync(join(root, 'var/cache/apt/archives')).filter((f) => f.endsWith('.deb'))).toEqual([]);
    expect(readdirSync(join(e2eCache(), 'debian')).some((f) => /^base-bookworm-amd64-[0-9a-f]+\.tar\.zst$/.test(f))).toBe(true);
  });

  it('root.d takes the base tree from the cache the second time, in seconds', () => {
    const second = join(work, 'second');
    mkdirSync(second);
    const cached = withEnv([join(debian, 'root.d/10-debian-bootstrap')], { TARGET_ROOT: second });
    expect(cached.code, cached.out).toBe(0);
    expect(cached.out).toContain('unpacking the cached base tree');
    expect(cached.seconds).toBeLessThan(20);
    expect(statSync(join(second, 'usr/bin/apt-get')).isFile()).toBe(true);
    rmSync(second, { recursive: true, force: true });
  });

  it('offline without a cached base tree is a clear error', () => {
    const empty = mkdtempSync(join(work, 'cache-'));
    const target = mkdtempSync(join(work, 'offline-'));
    const r = withEnv([join(debian, 'root.d/10-debian-bootstrap')], { TARGET_ROOT: target, DIB_OFFLINE: '1', DIB_IMAGE_CACHE: empty });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/offline .* no cached base tree .*build once online/);
  });

  it('pre-install refreshes the lists; package-installs installs, then removes the build-only package', () => {
    const pre = inChroot(root, hooks, ['/tmp/in_target.d/pre-install.d/00-debian-apt']);
    expect(pre.code, pre.out).toBe(0);
    expect(readFileSync(join(root, 'etc/dpkg/dpkg.cfg.d/00kiln-unsafe-io'), 'utf8')).toContain('force-unsafe-io');
    const install = inChroot(root, hooks, ['/tmp/in_target.d/install.d/01-package-installs']);
    expect(install.code, install.out).toBe(0);
    expect(install.out).toContain('package-installs: install in install.d for pi-test: hello make');
    expect(inChroot(root, hooks, ['dpkg', '-s', 'make']).code).toBe(0);
    const remove = inChroot(root, hooks, ['/tmp/in_target.d/install.d/99-package-uninstalls']);
    expect(remove.code, remove.out).toBe(0);
    expect(inChroot(root, hooks, ['dpkg', '-s', 'make']).code).not.toBe(0);
    expect(inChroot(root, hooks, ['dpkg', '-s', 'hello']).code).toBe(0);
    // Downloads went to kiln's cache, never into the image.
    expect(readdirSync(join(e2eCache(), 'apt/archives')).some((f) => f.startsWith('hello_'))).toBe(true);
    expect(readdirSync(join(root, 'var/cache/apt/archives')).filter((f) => f.endsWith('.deb'))).toEqual([]);
  });

  it('install-packages names the package and the mirror when apt cannot install it', () => {
    const r = inChroot(root, hooks, ['/tmp/in_target.d/bin/install-packages', 'kiln-no-such-package']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/install-packages: ERROR: .*\(package: kiln-no-such-package\), mirror: http:\/\/deb\.debian\.org\/debian/);
    expect(r.seconds).toBeLessThan(30);
  });

  it('local-config copies the keys and proxy of the building user into the image', () => {
    const home = join(work, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh/id_ed25519.pub'), 'ssh-ed25519 AAAAkilntest one@test\n');
    writeFileSync(join(home, '.ssh/authorized_keys'), '# mine\nssh-ed25519 AAAAkilntest one@test\nssh-rsa AAAAkilntwo two@test\n');
    const extra = withEnv([join(flavours, 'local-config/extra-data.d/50-local-config')], {
      HOME: home, TMP_HOOKS_PATH: hooks, https_proxy: 'http://proxy.example:3128', no_proxy: 'localhost,.example.com',
    });
    expect(extra.code, extra.out).toBe(0);
    expect(readFileSync(join(hooks, 'local-config/authorized_keys'), 'utf8')).toBe('ssh-ed25519 AAAAkilntest one@test\nssh-rsa AAAAkilntwo two@test\n');
    const install = inChroot(root, hooks, ['/tmp/in_target.d/install.d/50-local-config']);
    expect(install.code, install.out).toBe(0);
    expect(statSync(join(root, 'root/.ssh')).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'root/.ssh/authorized_keys')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(root, 'root/.ssh/authorized_keys'), 'utf8')).toContain('ssh-rsa AAAAkilntwo two@test');
    expect(readFileSync(join(root, 'etc/environment'), 'utf8')).toContain('https_proxy=http://proxy.example:3128');
    expect(readFileSync(join(root, 'etc/apt/apt.conf.d/60local-config-proxy'), 'utf8')).toContain('Acquire::https::Proxy::example.com "DIRECT";');
  });

  it('local-config with nothing to copy does nothing and says so', () => {
    const empty = mkdtempSync(join(work, 'hooks-'));
    const r = withEnv([join(flavours, 'local-config/extra-data.d/50-local-config')], { HOME: join(work, 'nohome'), TMP_HOOKS_PATH: empty });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('no SSH public keys');
    expect(readdirSync(join(empty, 'local-config'))).toEqual([]);
  });

  it('post-install and cleanup leave no lists, downloads, build settings or machine-id', () => {
    const post = inChroot(root, hooks, ['/tmp/in_target.d/post-install.d/99-debian-apt-lists']);
    expect(post.code, post.out).toBe(0);
    const cleanup = withEnv([join(debian, 'cleanup.d/90-debian-cleanup')], { TARGET_ROOT: root });
    expect(cleanup.code, cleanup.out).toBe(0);
    expect(readdirSync(join(root, 'var/lib/apt/lists')).sort()).toEqual(['lock', 'partial']);
    expect(existsSync(join(root, 'var/cache/apt/pkgcache.bin'))).toBe(false);
    expect(existsSync(join(root, 'etc/apt/apt.conf.d/00kiln-build'))).toBe(false);
    expect(existsSync(join(root, 'etc/dpkg/dpkg.cfg.d/00kiln-unsafe-io'))).toBe(false);
    expect(readFileSync(join(root, 'etc/machine-id'), 'utf8')).toBe('');
  });
});
