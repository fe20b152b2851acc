// A third-party element set written for diskimage-builder (test/fixtures/dib-elements) built by
// kiln with its own library flavours, diskimage-builder not on the search path: source from a
// local git repository (source-repositories), install-types folders chosen per prefix,
// package names through pkg-map (package-installs.yaml and by hand), a service enabled under its
// svc-map name, init scripts installed by dib-init-system, static files by install-static; and a
// second element (hello-guest) on devuser, dib-python, element-manifest and sysprep.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eCache } from '../helpers/e2e.js';
import { hostState, isRoot, kiln, repo } from '../helpers/host.js';

const elements = join(repo, 'test/fixtures/dib-elements');
const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHelloGuestKeyForKilnTestsOnly0000000000000 hello@test';

describe.skipIf(!isRoot)('third-party elements on kiln\'s library flavours (e2e, Debian mirror)', () => {
  let out: string;
  let env: Record<string, string>;
  const tarFile = (path: string) => execFileSync('tar', ['-xOf', join(out, 'app.tar'), `./${path}`]).toString();
  const tarList = () => execFileSync('tar', ['-tf', join(out, 'app.tar')], { maxBuffer: 64 * 1024 * 1024 }).toString().split('\n');

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-dib-library-'));
    const upstream = join(out, 'hello-app.git');
    mkdirSync(upstream);
    const git = (...args: string[]) => execFileSync('git', ['-C', upstream, ...args], {
      env: { PATH: process.env.PATH, HOME: out, GIT_AUTHOR_NAME: 'kiln', GIT_AUTHOR_EMAIL: 'k@e', GIT_COMMITTER_NAME: 'kiln', GIT_COMMITTER_EMAIL: 'k@e' },
    });
    git('init', '-q', '-b', 'main');
    writeFileSync(join(upstream, 'hello.sh'), '#!/bin/sh\necho "hello-app from git"\n', { mode: 0o755 });
    git('add', '.');
    git('commit', '-q', '-m', 'hello');
    writeFileSync(join(out, 'hello.pub'), `${PUBLIC_KEY}\n`);
    // Only the fixture elements are on ELEMENTS_PATH: every library flavour must be kiln's own.
    env = {
      ELEMENTS_PATH: elements, DIB_HELLO_REPO: upstream, DIB_INSTALLTYPE_hello_tools: 'package',
      DIB_DEV_USER_USERNAME: 'hello', DIB_DEV_USER_PWDLESS_SUDO: '1', DIB_DEV_USER_AUTHORIZED_KEYS: join(out, 'hello.pub'),
    };
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('plans with kiln\'s library flavours, the chosen install-type hooks, and no DIB Python', async () => {
    const dry = await kiln('disk-image-create', ['--dry-run', '--json', '-t', 'tar', '-o', join(out, 'app'), '--image-cache', e2eCache(), 'debian', 'hello-app', 'hello-guest'], env);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as { flavours: { name: string; path: string }[]; phases: { dir: string; hooks: { name: string; path: string }[] }[]; environment: { name: string }[] };
    for (const name of ['source-repositories', 'install-types', 'pkg-map', 'svc-map', 'dib-init-system', 'install-static', 'package-installs', 'cache-url', 'manifests',
      'devuser', 'dib-python', 'element-manifest', 'sysprep']) {
      expect(plan.flavours.find((f) => f.name === name)?.path, name).toBe(join(repo, 'flavours', name));
    }
    const install = plan.phases.find((p) => p.dir === 'install.d')!.hooks;
    expect(install.find((h) => h.name === '50-hello-app')?.path).toBe(join(elements, 'hello-app/install.d/hello-app-source-install/50-hello-app'));
    expect(install.find((h) => h.name === '60-hello-tools')?.path).toBe(join(elements, 'hello-app/install.d/hello-tools-package-install/60-hello-tools'));
    expect(plan.environment.some((v) => v.name === 'DIB_PYTHON_EXEC')).toBe(false);
  });

  it('builds: git source at its ref, install types, pkg-map, svc-map, init scripts, static files', async () => {
    const before = hostState();
    const result = await kiln('disk-image-create', ['-t', 'tar', '-o', join(out, 'app'), '--image-cache', e2eCache(), 'debian', 'hello-app', 'hello-guest'], env);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(hostState()).toEqual(before);
    const files = tarList();
    // source-repositories cloned main into /opt/hello-app; the source install type ran.
    expect(tarFile('opt/hello-app/hello.sh')).toContain('hello-app from git');
    expect(tarFile('usr/local/bin/hello-app')).toContain('hello-app from git');
    expect(tarFile('etc/hello-app/greeting')).toBe('hello from an element\n');
    expect(tarFile('etc/dib-source-repositories')).toBe('/opt/hello-app\n');
    // The tools' package install type ran (pkg-map: hello-package → Debian's hello), not the source one.
    expect(files).toContain('./usr/bin/hello');
    expect(files.filter((f) => f.includes('WRONG'))).toEqual([]);
    // package-installs.yaml through pkg-map (tree-tool → tree); the fedora-only rule left out.
    expect(files).toContain('./usr/bin/tree');
    // svc-map named the service, dib-init-system installed its unit, the element enabled it.
    expect(tarFile('usr/share/svc-map/services')).toContain('hello-service: hello-app\n');
    expect(files).toContain('./usr/lib/systemd/system/hello-app.service');
    expect(files).toContain('./etc/systemd/system/multi-user.target.wants/hello-app.service');
    expect(tarFile('etc/hello-app/init-system')).toBe('init: systemd systemd\n');
    expect(tarFile('etc/hello-app/contract')).toBe('/tmp/in_target.d/.kiln/bin/dib-run-parts function function\n');
    expect(tarFile('etc/hello-app/static.conf')).toBe('greeting from static\n');
    expect(tarFile('etc/dib-manifests/dib-manifest-git-app')).toMatch(/^hello-app git \/opt\/hello-app .*hello-app\.git [0-9a-f]{40}\n$/);
  });

  it('devuser, dib-python, element-manifest and sysprep, as the hello-guest element relies on them', () => {
    const files = tarList();
    // devuser: the user, its key from DIB_DEV_USER_AUTHORIZED_KEYS, passwordless sudo.
    expect(tarFile('etc/passwd')).toMatch(/^hello:x:\d+:\d+:.*:\/home\/hello:/m);
    expect(tarFile('home/hello/.ssh/authorized_keys')).toBe(`${PUBLIC_KEY}\n`);
    expect(tarFile('etc/sudoers.d/hello')).toBe('hello ALL=(ALL) NOPASSWD:ALL\n');
    // dib-python ran the element's script with the image's Python 3, and is gone from the image.
    expect(tarFile('etc/hello-guest/python')).toBe('python 3\n');
    expect(files).not.toContain('./usr/bin/dib-python');
    // element-manifest: the build's flavours, one per line, inside the image.
    const listed = tarFile('etc/dib-manifests/dib-element-manifest').split('\n');
    expect(listed).toEqual(expect.arrayContaining(['debian', 'hello-app', 'hello-guest', 'devuser', 'element-manifest', 'sysprep']));
    // sysprep: nothing of the build left behind (the log is kept, emptied).
    expect(files).toContain('./var/log/hello-guest.log');
    expect(tarFile('var/log/hello-guest.log')).toBe('');
    expect(files.filter((f) => /hello-guest-leftover|dhclient\.eth0\.leases|var\/lib\/cloud\/instance|root\/\.bash_history/.test(f))).toEqual([]);
  });
});
