// An LVM layout (block-device-efi-lvm: root, /var and /home as xfs logical volumes of one volume
// group, on a GPT disk with an ESP and a BIOS boot partition) built with --vm boots with SeaBIOS
// and with OVMF, and the running system shows its volumes. A Debian build in a TCG guest takes
// half an hour, so the tree is built on the host first (-t tar, warm from the e2e cache): the VM
// build's layer keys equal the host's, its dry run must show every stage from the cache, and the
// guest only makes the disk (LVM, xfs, vfat, GRUB for BIOS and UEFI).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginAndRun, type ConsoleCommandResult } from '../../lib/boot-test/console-login.js';
import { boot, type Firmware } from '../../lib/boot-test/qemu.js';
import { e2eCache } from '../helpers/e2e.js';
import { hostState, isRoot, kiln } from '../helpers/host.js';

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

describe.skipIf(!isRoot)('an LVM layout built in the build VM (e2e, --vm, QEMU TCG)', () => {
  let out: string;
  const env = { KILN_ROOT_PASSWORD_HASH: PASSWORD_HASH };
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-vm-lvm-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

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
    const vmArgs = ['--vm', '-t', 'qcow2', '-o', join(out, 'lvm'), ...common];
    const dry = await kiln('disk-image-create', ['--dry-run', '--json', ...vmArgs], env);
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

    const built = await kiln('disk-image-create', vmArgs, env);
    expect(built.code, built.stderr.slice(-4000)).toBe(0);
    expect(built.stderr).toMatch(/building in a VM: /);
    expect(built.stderr).not.toMatch(/root\.d\/10-debian-bootstrap|install\.d\/01-package-installs|copy unchanged outputs from the cache/);
    expect(built.stderr).toMatch(/close the disk done/);
    // The image the guest made is kept in the host's cache like a host build's.
    expect(existsSync(join(e2eCache(), 'outputs', outputKey, 'meta.json'))).toBe(true);
    expect(hostState()).toEqual(before);

    const image = join(out, 'lvm.qcow2');
    for (const firmware of ['bios', 'uefi'] as const) {
      const [lvs, mounts, cmdline] = await bootAndCheck(image, firmware);
      expect(lvs!.status, lvs!.output).toBe(0);
      expect(lvs!.output.split('\n').map((l) => l.trim().split(',').slice(0, 2).join(',')).sort()).toEqual(['vg,lv_home', 'vg,lv_root', 'vg,lv_var']);
      // Active (the fifth attribute), not only present.
      for (const line of lvs!.output.trim().split('\n')) expect(line.trim().split(',')[2]![4], line).toBe('a');
      expect(mounts!.status, mounts!.output).toBe(0);
      const mounted = mounts!.output.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' ')).sort();
      expect(mounted).toEqual(expect.arrayContaining([
        '/ /dev/mapper/vg-lv_root xfs', '/home /dev/mapper/vg-lv_home xfs', '/var /dev/mapper/vg-lv_var xfs',
      ]));
      expect(mounted.some((l) => /^\/boot\/efi \/dev\/vda1 vfat$/.test(l)), mounted.join('\n')).toBe(true);
      expect(cmdline!.output).toMatch(/root=/);
    }
    // Under TCG the guest makes the disk in 15-35 minutes on a shared machine (restoring the tree, copying it into the volumes, GRUB, qcow2).
  }, 3_600_000);
});
