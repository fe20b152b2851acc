// A real Debian root from the mirror, written as a tarball: as root, and as an ordinary user who
// has only the sudoers.d/kiln rule.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, fixtures, hostState, isRoot, kiln, repo } from '../helpers/host.js';
import { e2eCache } from '../helpers/e2e.js';

/** Runs argv as `user` with a clean login-like environment. */
function runAs(user: string, home: string, argv: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('runuser', ['-u', user, '--', 'env', '-i', `HOME=${home}`, `USER=${user}`, 'PATH=/usr/local/bin:/usr/bin:/bin', ...argv], { cwd: home, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

function member(tarball: string, path: string): string {
  return execFileSync('tar', ['-xOf', tarball, '--wildcards', `*${path}`]).toString();
}

function pingCapability(tarball: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-ping-'));
  try {
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-xf', tarball, '-C', dir, '--wildcards', '*usr/bin/ping']);
    return execFileSync('getcap', [join(dir, 'usr/bin/ping')]).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!isRoot)('debian root filesystem as tar (e2e)', () => {
  let out: string;
  const resolvBefore = readFileSync('/etc/resolv.conf', 'utf8');
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-tar-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('builds debian + a test flavour, keeps capabilities, restores resolv.conf, leaves the host clean', async () => {
    const before = hostState();
    const result = await kiln('disk-image-create', ['-t', 'tar', '-p', 'less', '--no-cache', '-o', join(out, 'deb'), '--flavours-path', fixtures, '--image-cache', e2eCache(), 'debian', 'e2e-check']);
    expect(result.stderr).toContain(`wrote ${join(out, 'deb.tar')}`);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    const tarball = join(out, 'deb.tar');
    expect(member(tarball, 'etc/kiln-e2e-marker')).toContain('built by kiln for deb with');
    expect(execFileSync('tar', ['-tf', tarball]).toString()).toMatch(/\.\/usr\/bin\/less\n/);
    expect(member(tarball, 'etc/resolv.conf')).toBe("# e2e-check: the image's own resolv.conf\n");
    expect(member(tarball, 'etc/kiln-e2e-resolv-during-install')).toBe(resolvBefore);
    expect(pingCapability(tarball)).toMatch(/cap_net_raw[=+]ep/);
    const list = execFileSync('tar', ['-tvf', tarball]).toString();
    expect(list).not.toMatch(/ \.\/(proc|sys)\/[^\n]/);
    expect(list).not.toMatch(/usr\/sbin\/policy-rc\.d/);
    expect(hostState()).toEqual(before);
    expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(resolvBefore);
  });

  it('builds the same as an unprivileged user who has only the sudoers.d/kiln rule', async () => {
    const user = 'kilntest';
    const sudoers = '/etc/sudoers.d/kiln';
    const hadSudoers = existsSync(sudoers);
    execFileSync('groupadd', ['-f', 'kiln']);
    execFileSync('bash', ['-c', `id ${user} >/dev/null 2>&1 || useradd -m -G kiln ${user}`]);
    if (!hadSudoers) {
      copyFileSync(join(repo, 'sudoers.d/kiln'), sudoers);
      chmodSync(sudoers, 0o440);
    }
    const home = `/home/${user}`;
    const uid = Number(execFileSync('id', ['-u', user]).toString());
    const gid = Number(execFileSync('id', ['-g', user]).toString());
    const userOut = join(home, 'out');
    execFileSync('mkdir', ['-p', userOut]);
    chownSync(userOut, uid, gid);
    const before = hostState();
    try {
      const result = await runAs(user, home, [bin('disk-image-create'), '-t', 'tar', '-o', join(userOut, 'deb'), '--flavours-path', fixtures, 'debian', 'e2e-check']);
      expect(result.stderr).toContain(`wrote ${join(userOut, 'deb.tar')}`);
      expect(result.code, result.stderr.slice(-3000)).toBe(0);
      const tarball = join(userOut, 'deb.tar');
      expect(member(tarball, 'etc/kiln-e2e-marker')).toContain('built by kiln');
      expect(pingCapability(tarball)).toMatch(/cap_net_raw[=+]ep/);
      const owner = execFileSync('stat', ['-c', '%U', tarball]).toString().trim();
      expect(owner).toBe(user);
      expect(hostState()).toEqual(before);
    } finally {
      if (!hadSudoers) rmSync(sudoers, { force: true });
      execFileSync('bash', ['-c', `userdel -r ${user} 2>/dev/null || true`]);
    }
  });
});
