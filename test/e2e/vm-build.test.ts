// Builds in a throwaway VM (--vm), under QEMU's software emulation: the builder image is made
// once (by the first --vm build, as root) and kept in the e2e cache; SIGTERM during the guest's
// build and SIGKILL of the host side leave nothing behind; then the host fills the layer cache
// with a tar of an LVM image's flavours, and an ordinary user with no sudo rule builds the same
// flavours with --vm as tar (the same packages and files as the host's) and as an LVM qcow2 that
// boots with SeaBIOS and OVMF and shows its logical volumes on the console. The guest restores
// the host's layers; the vm-check flavour's always-run hook makes it run chroot hooks of its own.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boot } from '../../lib/boot-test/qemu.js';
import { bin, fixtures, hostState, isRoot, kiln, start, type Ran } from '../helpers/host.js';
import { e2eCache } from '../helpers/e2e.js';

const FLAVOURS = ['--flavours-path', fixtures, 'debian', 'vm', 'block-device-efi-lvm', 'vm-check'];
const USER = 'kilnvm';

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

/** Runs argv as `user` with a clean login-like environment. */
function runAs(user: string, home: string, env: Record<string, string>, argv: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const vars = Object.entries({ HOME: home, USER: user, PATH: '/usr/local/bin:/usr/bin:/bin', ...env }).map(([k, v]) => `${k}=${v}`);
    const child = spawn('runuser', ['-u', user, '--', 'env', '-i', ...vars, ...argv], { cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Package names and versions recorded in a root tarball's dpkg status. */
function packages(tarball: string): string[] {
  const status = execFileSync('tar', ['-xOf', tarball, './var/lib/dpkg/status'], { maxBuffer: 1 << 28 }).toString();
  return status.split('\n\n').filter((s) => s.trim()).map((stanza) => {
    const field = (name: string): string => new RegExp(`^${name}: (.*)$`, 'm').exec(stanza)?.[1] ?? '';
    return `${field('Package')} ${field('Version')} ${field('Status')}`;
  }).sort();
}

/**
 * Paths, types, modes, owners and sizes of a tarball's members, without the documented
 * differences: logs, and what the disk phases add when a tar is made together with a disk image
 * (taken from the finished disk: the bootloader's files, the ESP's mount point content, fstab).
 */
function members(tarball: string): string[] {
  const list = execFileSync('tar', ['--numeric-owner', '-tvf', tarball], { maxBuffer: 1 << 28 }).toString().split('\n').filter(Boolean);
  const differs = /^\.\/(var\/log\/.|boot\/grub\/.|boot\/efi\/.|etc\/fstab$|etc\/default\/grub)/;
  return list.map((line) => {
    const parts = line.split(/\s+/);
    return { path: parts.slice(5).join(' '), text: `${parts[0]} ${parts[1]} ${parts[0]!.startsWith('d') ? '' : parts[2]} ${parts.slice(5).join(' ')}` };
  }).filter((m) => !differs.test(m.path)).map((m) => m.text).sort();
}

describe.skipIf(!isRoot)('builds in a throwaway VM (e2e, --vm, QEMU TCG)', () => {
  let out: string;
  let userHome: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-vm-'));
    execFileSync('bash', ['-c', `id ${USER} >/dev/null 2>&1 || useradd -m ${USER}`]);
    userHome = `/home/${USER}`;
  });
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    execFileSync('bash', ['-c', `userdel -r ${USER} 2>/dev/null || true`]);
  });

  it('SIGTERM during the guest build stops the guest and QEMU and removes the overlay and every temp folder', async () => {
    const before = hostState();
    // The first --vm build of a test run makes the builder image (as root), then boots it.
    const run = start('disk-image-create', ['--vm', '-t', 'tar', '-o', join(out, 'term'), '--image-cache', e2eCache(), ...FLAVOURS]);
    await whenStderr(run.child, /root\.d \[host/);
    expect(vmLeftovers(tmpdir()).qemu.length, 'a QEMU runs the guest build').toBe(1);
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.stderr).toMatch(/build interrupted by SIGTERM; everything kiln set up was released/);
    expect(result.code, result.stderr.slice(-3000)).toBe(143);
    expect(vmLeftovers(tmpdir())).toEqual({ folders: [], qemu: [] });
    expect(readdirSync(join(e2eCache(), '.kiln-vm-incoming'))).toEqual([]);
    expect(hostState()).toEqual(before);
    expect(existsSync(join(out, 'term.tar'))).toBe(false);
  });

  it('SIGKILL of kiln takes QEMU with it; the next kiln command clears the rest', async () => {
    const run = start('disk-image-create', ['--vm', '-t', 'tar', '-o', join(out, 'kill'), '--image-cache', e2eCache(), ...FLAVOURS]);
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
    const result = await kiln('disk-image-create', ['-t', 'tar', '-o', join(out, 'host'), '--image-cache', e2eCache(), ...FLAVOURS]);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr).toContain(`cleared ${join(tmpdir(), left.folders[0]!)}, left by kiln process ${run.child.pid}`);
    expect(vmLeftovers(tmpdir())).toEqual({ folders: [], qemu: [] });
    expect(readdirSync(join(e2eCache(), '.kiln-vm-incoming'))).toEqual([]);
  });

  it('an ordinary user with no sudo rule builds the same tree and a bootable LVM qcow2 in the VM', async () => {
    expect(execFileSync('bash', ['-c', `sudo -n -l -U ${USER} 2>&1 || true`]).toString()).toMatch(/not allowed|may not run/);
    const uid = Number(execFileSync('id', ['-u', USER]).toString());
    const gid = Number(execFileSync('id', ['-g', USER]).toString());
    const userTmp = join(out, 'user-tmp');
    const userOut = join(userHome, 'out');
    for (const dir of [userTmp, userOut]) {
      mkdirSync(dir, { recursive: true });
      chownSync(dir, uid, gid);
    }
    chownSync(out, 0, 0);
    execFileSync('chmod', ['0755', out]);
    const result = await runAs(USER, userHome, { TMPDIR: userTmp }, [
      bin('disk-image-create'), '--vm', '-t', 'tar,qcow2', '-o', join(userOut, 'lvm'), '--image-cache', e2eCache(), ...FLAVOURS,
    ]);
    expect(result.code, result.stderr.slice(-4000)).toBe(0);
    expect(result.stderr).toMatch(/building in a VM: /);
    expect(result.stderr).toMatch(/read-only for this user/);
    expect(vmLeftovers(userTmp)).toEqual({ folders: [], qemu: [] });
    for (const file of ['lvm.tar', 'lvm.qcow2', 'lvm.log']) expect(execFileSync('stat', ['-c', '%U', join(userOut, file)]).toString().trim()).toBe(USER);

    // The same flavours built on the host: the same packages, the same files.
    const hostTar = join(out, 'host.tar');
    const vmTar = join(userOut, 'lvm.tar');
    expect(packages(vmTar)).toEqual(packages(hostTar));
    expect(packages(vmTar).length).toBeGreaterThan(100);
    expect(members(vmTar)).toEqual(members(hostTar));
    expect(execFileSync('tar', ['-xOf', vmTar, './etc/kiln-vm-check']).toString()).toBe(execFileSync('tar', ['-xOf', hostTar, './etc/kiln-vm-check']).toString());

    // The LVM image boots with both firmwares and shows its volumes on the serial console.
    for (const firmware of ['bios', 'uefi'] as const) {
      const booted = await boot({
        disks: [{ path: join(userOut, 'lvm.qcow2'), format: 'qcow2' }], firmware, snapshot: true, marker: /vm-check: lvs end[\s\S]*login:/,
        failure: /Kernel panic|emergency mode|grub rescue>/, timeoutMs: 600_000, consoleLog: join(out, `lvm.${firmware}.console.log`),
        varsPath: join(out, `OVMF_VARS.${firmware}.fd`),
      });
      expect(booted.console).toMatch(/vm-check: lv vg lv_root/);
      expect(booted.console).toMatch(/vm-check: lv vg lv_var/);
      expect(booted.console).toMatch(/vm-check: root on \/dev\/mapper\/vg-lv_root var on \/dev\/mapper\/vg-lv_var/);
    }
  });
});
