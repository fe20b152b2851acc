// Builds in a throwaway VM (--vm), under QEMU's software emulation, kept small for the CI budget
// (under TCG on a shared machine every guest step is ten times slower than on the host): the
// builder image is made once (by the first --vm build, as root) and kept in the e2e cache; SIGTERM
// during the guest's build and SIGKILL of the host side leave nothing behind; an ordinary user
// with no sudo rule builds the same small tree in the VM as root builds on the host (the vm-os
// flavour below, whose root.d copies bash from the machine that builds, plus a chroot hook).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, fixtures, hostState, isRoot, kiln, start } from '../helpers/host.js';
import { addPlainUser, type PlainUser } from '../helpers/plain-user.js';
import { e2eCache } from '../helpers/e2e.js';
import { hook, writeTree } from '../helpers/tree.js';

// root.d of the vm-os test flavour: bash, cat, sleep, env, their libraries and a few files, in a
// handful of programs.
const VM_OS_ROOT = `#!/bin/bash
set -eu -o pipefail
root="$TARGET_ROOT"
$KILN_SUDO mkdir -p "$root/bin" "$root/usr/bin" "$root/etc" "$root/var/log" "$root/root" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
$KILN_SUDO cp /bin/bash "$root/bin/bash"
$KILN_SUDO ln -s bash "$root/bin/sh"
$KILN_SUDO cp /bin/cat /bin/sleep "$root/bin/"
$KILN_SUDO cp /usr/bin/env "$root/usr/bin/env"
$KILN_SUDO cp --parents -L $({ ldd /bin/bash; ldd /bin/cat; ldd /bin/sleep; ldd /usr/bin/env; } | grep -o '/[^ ]*' | sort -u) "$root"
echo 'ID=vm-os' | $KILN_SUDO install -m 0644 /dev/stdin "$root/etc/os-release"
`;

/** kiln temp folders of a VM build, and QEMU processes started for one, under `dir`. */
function vmLeftovers(dir: string): { folders: string[]; qemu: number[] } {
  const folders = readdirSync(dir).filter((name) => /^kiln-vm(-import)?\./.test(name));
  const qemu = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').some((kv) => kv.startsWith(`KILN_VM_FOLDER=${dir}/`));
    } catch {
      return false;
    }
  }).map(Number);
  return { folders, qemu };
}

/** Resolves when `text` appears on the child's stderr (or it ends). */
function whenStderr(child: ReturnType<typeof start>['child'], text: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let seen = '';
    child.stderr!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (text.test(seen)) resolve();
    });
    child.on('close', () => resolve());
  });
}

/** Paths, types, modes, owners, sizes and times of a tarball's members (logs aside: they differ). */
function members(tarball: string): string[] {
  const list = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', tarball], { maxBuffer: 1 << 28, env: { ...process.env, TZ: 'UTC' } }).toString().split('\n').filter(Boolean);
  return list.map((line) => line.split(/\s+/)).filter((parts) => !/^\.\/var\/log\/./.test(parts[5] ?? ''))
    .map((parts) => `${parts[0]} ${parts[1]} ${parts[0]!.startsWith('d') ? '' : parts[2]} ${parts[3]} ${parts[4]} ${parts.slice(5).join(' ')}`).sort();
}

/** The date a flavour folder's git history gives (SOURCE_DATE_EPOCH): older than any of its files. */
const COMMIT_DATE = '2024-01-02T03:04:05Z';

describe.skipIf(!isRoot)('builds in a throwaway VM (e2e, --vm, QEMU TCG)', () => {
  let out: string;
  let user: PlainUser;
  // vm-os: a tiny root and a chroot hook; vm-slow holds the guest's build long enough to be stopped.
  let small: string[];
  let slow: string[];
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-vm-'));
    execFileSync('chmod', ['0755', out]);
    writeTree(join(out, 'flavours'), {
      'vm-os/README.md': 'A root of bash and its libraries from the machine that builds: few programs, as every one is slow under TCG.',
      'vm-os/flavour-provides': 'operating-system\n',
      'vm-os/root.d/10-vm-os': { mode: 0o755, content: VM_OS_ROOT },
      // Always runs: the guest restores the layers the host build stored, then runs this itself.
      'vm-os/always-run': 'install.d/50-vm-mark\n',
      'vm-os/install.d/50-vm-mark': hook('echo "built by $(cat /etc/os-release) with $BASH_VERSION" > /etc/vm-mark'),
      'vm-slow/README.md': 'Holds the build in install.d.',
      'vm-slow/install.d/10-vm-slow': hook('echo vm-slow sleeping; sleep 900'),
    });
    // In git, as flavours usually are: the host dates the build by the last commit, and the guest,
    // which sees the folder without its history, must date it the same (same times in the outputs).
    execFileSync('bash', ['-c', 'git init -q && git add -A && git -c user.name=kiln -c user.email=kiln@example.org commit -q -m flavours'],
      { cwd: join(out, 'flavours'), env: { ...process.env, GIT_AUTHOR_DATE: COMMIT_DATE, GIT_COMMITTER_DATE: COMMIT_DATE } });
    small = ['-n', '--flavours-path', join(out, 'flavours'), '--image-cache', e2eCache(), 'vm-os'];
    slow = [...small, 'vm-slow'];
    user = addPlainUser('kilnvm');
  });
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    user.remove();
  });

  it('SIGTERM during the guest build stops the guest and QEMU and removes the overlay and every temp folder', async () => {
    const before = hostState();
    // The first --vm build of a test run makes the builder image (as root), then boots it.
    const run = start('disk-image-create', ['--vm', '-t', 'tar', '-o', join(out, 'term'), ...slow]);
    await whenStderr(run.child, /install\.d\/10-vm-slow \(vm-slow\)\.\.\./);
    expect(vmLeftovers(tmpdir()).qemu.length, 'a QEMU runs the guest build').toBe(1);
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.stderr).toMatch(/building in a VM: /);
    expect(result.stderr).toMatch(/build interrupted by SIGTERM; everything kiln set up was released/);
    expect(result.code, result.stderr.slice(-3000)).toBe(143);
    expect(vmLeftovers(tmpdir())).toEqual({ folders: [], qemu: [] });
    expect(readdirSync(join(e2eCache(), '.kiln-vm-incoming'))).toEqual([]);
    expect(hostState()).toEqual(before);
    expect(existsSync(join(out, 'term.tar'))).toBe(false);
  });

  it('SIGKILL of kiln takes QEMU with it; the next kiln command clears the rest', async () => {
    const run = start('disk-image-create', ['--vm', '-t', 'tar', '-o', join(out, 'kill'), ...slow]);
    await whenStderr(run.child, /start the build VM \((TCG|KVM)\)\.\.\./);
    for (let i = 0; i < 100 && !vmLeftovers(tmpdir()).qemu.length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(vmLeftovers(tmpdir()).qemu).toHaveLength(1);
    run.child.kill('SIGKILL');
    await run.done;
    for (let i = 0; i < 50 && vmLeftovers(tmpdir()).qemu.length; i++) await new Promise((r) => setTimeout(r, 100));
    const left = vmLeftovers(tmpdir());
    expect(left.qemu).toEqual([]);
    expect(left.folders).toHaveLength(1);
    // The next command: the host build the last test compares with.
    const result = await kiln('disk-image-create', ['-t', 'tar', '-o', join(out, 'host'), ...small]);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr).toContain(`cleared ${join(tmpdir(), left.folders[0]!)}, left by kiln process ${run.child.pid}`);
    expect(vmLeftovers(tmpdir())).toEqual({ folders: [], qemu: [] });
    expect(readdirSync(join(e2eCache(), '.kiln-vm-incoming'))).toEqual([]);
  });

  it('an ordinary user with no sudo rule builds the same tree in the VM as root on the host', async () => {
    expect(user.sudoRights()).toMatch(/not allowed|may not run/);
    const userTmp = user.ownedFolder(join(out, 'user-tmp'));
    const userOut = user.ownedFolder(join(user.home, 'out'));
    // root's git repository: git reads it for another user only when told it is safe.
    user.trustGitFolders();
    const result = await user.run([bin('disk-image-create'), '--vm', '-t', 'tar', '-o', join(userOut, 'small'), ...small], { TMPDIR: userTmp });
    expect(result.code, result.stderr.slice(-4000)).toBe(0);
    expect(result.stderr).toMatch(/building in a VM: /);
    expect(result.stderr).toMatch(/read-only for this user/);
    // Its progress comes back as a host build's does.
    expect(result.stderr).toMatch(/install\.d\/50-vm-mark \(vm-os\) done in/);
    expect(vmLeftovers(userTmp)).toEqual({ folders: [], qemu: [] });
    expect(readdirSync(userTmp)).toEqual([]);
    for (const file of ['small.tar', 'small.log']) expect(execFileSync('stat', ['-c', '%U', join(userOut, file)]).toString().trim()).toBe(user.name);
    const vmTar = join(userOut, 'small.tar');
    const hostTar = join(out, 'host.tar');
    expect(members(vmTar)).toEqual(members(hostTar));
    expect(members(vmTar).length).toBeGreaterThan(10);
    // Dated by the commit, not by the files just written: directories made by the build clamp to it.
    expect(members(vmTar).filter((m) => m.startsWith('d')).every((m) => m.includes(' 2024-01-02 03:04:05 ')), members(vmTar).join('\n')).toBe(true);
    expect(execFileSync('tar', ['-xOf', vmTar, './etc/vm-mark']).toString()).toBe(execFileSync('tar', ['-xOf', hostTar, './etc/vm-mark']).toString());
  });
});
