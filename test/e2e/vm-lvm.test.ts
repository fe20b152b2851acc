// An ordinary user with no sudo rule builds, with --vm, a bootable qcow2 with an LVM layout
// (block-device-efi-lvm: root, /var and /home as xfs logical volumes of one volume group, on a GPT
// disk with an ESP and a BIOS boot partition), which this host's kernel could not make (no
// device-mapper). It boots with SeaBIOS and with OVMF, and the running system shows its volumes.
// A Debian build in a TCG guest takes half an hour, so root builds the tree on the host first
// (-t tar, warm from the e2e cache): the user's VM build has the same layer keys, its dry run must
// show every stage from the cache, and the guest only makes the disk (LVM, xfs, vfat, GRUB for
// BIOS and UEFI). The qcow2 is uncompressed (-u): compressing it in a TCG guest costs four minutes,
// and this test is about the layout. Both boots run at once.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAndRun, type ConsoleCommandResult } from '../../lib/boot-test/console-login.js';
import { boot, type Firmware } from '../../lib/boot-test/qemu.js';
import { e2eCache } from '../helpers/e2e.js';
import { bin, hostState, isRoot, kiln } from '../helpers/host.js';
import { addPlainUser, type PlainUser } from '../helpers/plain-user.js';
import { hook, writeTree } from '../helpers/tree.js';

const PASSWORD = 'kiln-lvm';
// A fixed salt keeps the hash, so the layer keys, the same from run to run.
const PASSWORD_HASH = execFileSync('openssl', ['passwd', '-6', '-salt', 'kilnlvm', PASSWORD]).toString().trim();
const FLAVOURS = ['debian', 'vm', 'block-device-efi-lvm', 'root-password'];
const CHECKS = ['lvs --noheadings --separator , -o vg_name,lv_name,lv_attr', 'findmnt -n -l -o TARGET,SOURCE,FSTYPE -t xfs,vfat', 'cat /proc/cmdline'];

interface CacheStage {
  phase: string;
  key: string;
  fromCache: boolean;
  reason: string;
}

/** The cache stages of a dry run's JSON. */
function stagesOf(stdout: string): { cache: CacheStage[]; outputKey: string } {
  return JSON.parse(stdout) as { cache: CacheStage[]; outputKey: string };
}

describe.skipIf(!isRoot)('an LVM layout built in the build VM by an ordinary user (e2e, --vm, QEMU TCG)', () => {
  let out: string;
  let user: PlainUser;
  const env = { KILN_ROOT_PASSWORD_HASH: PASSWORD_HASH };
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-vm-lvm-'));
    // The user's temp folder is below it.
    execFileSync('chmod', ['0755', out]);
    user = addPlainUser('kilnlvm');
  });
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    user.remove();
  });

  /** Making this kiln's builder image needs root once (the user would be told so): a root --vm
   * build of a tiny tree makes it, when no earlier test (vm-build) has. */
  async function ensureBuilderImage(): Promise<void> {
    writeTree(join(out, 'flavours'), {
      'tiny/flavour-provides': 'operating-system\n',
      'tiny/root.d/10-tiny': hook('mkdir -p "$TARGET_ROOT/etc" && echo tiny > "$TARGET_ROOT/etc/tiny"'),
    });
    const args = ['--vm', '-n', '-t', 'tar', '-o', join(out, 'tiny'), '--flavours-path', join(out, 'flavours'), '--image-cache', e2eCache(), 'tiny'];
    const dry = await kiln('disk-image-create', ['--dry-run', '--json', ...args]);
    expect(dry.code, dry.stderr.slice(-3000)).toBe(0);
    if ((JSON.parse(dry.stdout) as { vm: { builder: { present: boolean } } }).vm.builder.present) return;
    const made = await kiln('disk-image-create', args);
    expect(made.code, made.stderr.slice(-3000)).toBe(0);
  }

  /** Boots the image (unchanged: -snapshot), logs in as root on the console and runs CHECKS. */
  async function bootAndCheck(image: string, firmware: Firmware): Promise<ConsoleCommandResult[]> {
    let results: ConsoleCommandResult[] = [];
    await boot({
      disks: [{ path: image, format: 'qcow2' }],
      firmware,
      snapshot: true,
      marker: /login: /,
      failure: /Kernel panic|You are in emergency mode|Give root password for maintenance|grub rescue>|No bootable device|Volume group "vg" not found/,
      timeoutMs: 600_000,
      consoleLog: join(out, `lvm.${firmware}.console.log`),
      varsPath: join(out, `OVMF_VARS.${firmware}.fd`),
      whileRunning: async (serial) => {
        results = await loginAndRun(serial, { user: 'root', password: PASSWORD, commands: CHECKS, timeoutMs: 180_000 });
      },
    });
    return results;
  }

  it('boots with SeaBIOS and OVMF, root, /var and /home on the logical volumes', async () => {
    const before = hostState();
    const common = ['--image-cache', e2eCache(), ...FLAVOURS];
    const tree = await kiln('disk-image-create', ['-t', 'tar', '-o', join(out, 'tree'), ...common], env);
    expect(tree.code, tree.stderr.slice(-3000)).toBe(0);
    const hostDry = await kiln('disk-image-create', ['--dry-run', '--json', '-t', 'tar', '-o', join(out, 'tree'), ...common], env);
    await ensureBuilderImage();

    expect(user.sudoRights()).toMatch(/not allowed|may not run/);
    const userTmp = user.ownedFolder(join(out, 'user-tmp'));
    const userOut = user.ownedFolder(join(user.home, 'out'));
    // kiln's flavours are root's git checkout: git reads its history for another user only when told
    // it is safe (else the user's build is dated by file times, and its outputs named differently).
    user.trustGitFolders();
    const asUser = (args: string[]) => user.run([bin('disk-image-create'), ...args], { ...env, TMPDIR: userTmp });
    const vmArgs = ['--vm', '-t', 'qcow2', '-u', '-o', join(userOut, 'lvm'), ...common];
    const dry = await asUser(['--dry-run', '--json', ...vmArgs]);
    expect(dry.code, dry.stderr.slice(-3000)).toBe(0);
    const { cache: stages, outputKey } = stagesOf(dry.stdout);
    // If the VM build's layer keys drift from the host's, the guest would build Debian under TCG.
    expect(stages.map((s) => `${s.phase} ${s.key}`)).toEqual(stagesOf(hostDry.stdout).cache.map((s) => `${s.phase} ${s.key}`));
    expect(stages.map((s) => s.phase)).toContain('post-root');
    // The host keeps the last layers only when they took long enough to make (root-stages.ts): the
    // guest then restores the deepest one and runs the few quick hooks after it, never the bootstrap.
    for (const stage of stages.filter((s) => !s.fromCache)) expect(stage.reason, stage.phase).toMatch(/up to it from cache|no cached layer for its inputs/);
    expect(stages.filter((s) => ['root', 'extra-data', 'pre-install'].includes(s.phase)).every((s) => s.fromCache), JSON.stringify(stages)).toBe(true);
    // The disk itself must be made by this kiln in the guest, not an earlier run's image restored.
    rmSync(join(e2eCache(), 'outputs', outputKey), { recursive: true, force: true });

    const built = await asUser(vmArgs);
    expect(built.code, built.stderr.slice(-4000)).toBe(0);
    expect(built.stderr).toMatch(/building in a VM: /);
    expect(built.stderr).toMatch(/read-only for this user/);
    expect(built.stderr).not.toMatch(/root\.d\/10-debian-bootstrap|install\.d\/01-package-installs|copy unchanged outputs from the cache/);
    expect(built.stderr).toMatch(/close the disk done/);
    expect(readdirSync(userTmp)).toEqual([]);
    expect(hostState()).toEqual(before);
    const image = join(userOut, 'lvm.qcow2');
    expect(execFileSync('stat', ['-c', '%U', image]).toString().trim()).toBe(user.name);
    expect(JSON.parse(execFileSync('qemu-img', ['info', '--output=json', image]).toString()).format).toBe('qcow2');
    // The same flavours built on the host and in the VM: the same packages, dated alike (the guest
    // cannot see the flavours' git history; the host hands it the date), and DIB's manifests folder too.
    const manifest = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { packages: { name: string; version: string; architecture: string }[]; inputs: { sourceDateEpoch: number } };
    const [onHost, inVm] = [manifest(join(out, 'tree.manifest.json')), manifest(join(userOut, 'lvm.manifest.json'))];
    const packages = (m: typeof onHost) => m.packages.map((p) => `${p.name} ${p.version} ${p.architecture}`);
    expect(packages(inVm)).toEqual(packages(onHost));
    expect(packages(inVm)).toEqual(expect.arrayContaining([expect.stringMatching(/^lvm2 /), expect.stringMatching(/^xfsprogs /), expect.stringMatching(/^grub-efi-amd64-bin /)]));
    expect(inVm.inputs.sourceDateEpoch).toBe(onHost.inputs.sourceDateEpoch);
    expect(existsSync(join(userOut, 'lvm.d/dib-manifests/dib-manifest-dpkg-lvm'))).toBe(true);

    const booted = await Promise.all((['bios', 'uefi'] as const).map(async (firmware) => [firmware, await bootAndCheck(image, firmware)] as const));
    for (const [firmware, [lvs, mounts, cmdline]] of booted) {
      expect(lvs!.status, `${firmware}: ${lvs!.output}`).toBe(0);
      expect(lvs!.output.split('\n').map((l) => l.trim().split(',').slice(0, 2).join(',')).sort(), firmware).toEqual(['vg,lv_home', 'vg,lv_root', 'vg,lv_var']);
      // Active (the fifth attribute), not only present.
      for (const line of lvs!.output.trim().split('\n')) expect(line.trim().split(',')[2]![4], `${firmware}: ${line}`).toBe('a');
      expect(mounts!.status, `${firmware}: ${mounts!.output}`).toBe(0);
      const mounted = mounts!.output.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')).sort();
      expect(mounted, firmware).toEqual(expect.arrayContaining([
        '/ /dev/mapper/vg-lv_root xfs', '/home /dev/mapper/vg-lv_home xfs', '/var /dev/mapper/vg-lv_var xfs',
      ]));
      expect(mounted.some((l) => /^\/boot\/efi \/dev\/vda1 vfat$/.test(l)), `${firmware}: ${mounted.join('\n')}`).toBe(true);
      expect(cmdline!.output).toMatch(/root=/);
    }
  }, 3_600_000);
});
