// The diskimage-builder seed's base image, in one word (cloud-guest): built once, then two
// machines started from it at the same time under QEMU, each on a disk grown before its first
// boot and with its own NoCloud seed (cloud-localds) carrying one SSH public key. The test logs
// in over SSH through QEMU's user networking (a port forward on 127.0.0.1) as the default user
// with that key and runs commands; the two machines must show different SSH host keys, each
// root filesystem must fill its grown disk, and cloud-init must ask the standard metadata sources.
import { execFile as execFileCallback, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boot } from '../../lib/boot-test/qemu.js';
import { e2eCache } from '../helpers/e2e.js';
import { hostState, isRoot, kiln } from '../helpers/host.js';

const execFile = promisify(execFileCallback);
const GROWN = 6 * 1024 ** 3;

/** A TCP port nothing listens on, on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Machine {
  /** Output of the commands run over SSH. */
  facts: Record<string, string>;
  /** The host key the SSH server presented (ssh-keyscan). */
  scannedKey: string;
  console: string;
}

describe.skipIf(!isRoot)('cloud-guest: the seed\'s base image (e2e, QEMU TCG, SSH)', () => {
  let out: string;
  let image: string;
  let publicKey: string;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-cloud-guest-'));
    image = join(out, 'cloud.qcow2');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kiln-e2e', '-f', join(out, 'id')]);
    publicKey = readFileSync(join(out, 'id.pub'), 'utf8').trim();
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('builds with one word and no operating system named (Debian, said in one line)', async () => {
    const before = hostState();
    const result = await kiln('disk-image-create', ['-o', join(out, 'cloud'), '--image-cache', e2eCache(), 'vm', 'cloud-guest']);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr).toContain('building with "debian", kiln\'s default operating system');
    expect(hostState()).toEqual(before);
  });

  /** Starts one machine on a grown copy-on-write disk with its seed; SSHes in once it is up. */
  async function startMachine(name: string): Promise<Machine> {
    const disk = join(out, `${name}.qcow2`);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image, '-F', 'qcow2', disk, String(GROWN)]);
    writeFileSync(join(out, `${name}.user-data`), `#cloud-config\nssh_authorized_keys:\n  - ${publicKey}\n`);
    writeFileSync(join(out, `${name}.meta-data`), `instance-id: ${name}\nlocal-hostname: ${name}\n`);
    execFileSync('cloud-localds', [join(out, `${name}.seed.iso`), join(out, `${name}.user-data`), join(out, `${name}.meta-data`)]);
    const port = await freePort();
    const ssh = (command: string) => execFile('ssh', [
      '-i', join(out, 'id'), '-p', String(port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'ConnectTimeout=30', '-o', 'LogLevel=ERROR', 'debian@127.0.0.1', command,
    ], { timeout: 120_000 });
    const machine: Machine = { facts: {}, scannedKey: '', console: '' };
    const result = await boot({
      disks: [{ path: disk, format: 'qcow2' }, { path: join(out, `${name}.seed.iso`), format: 'raw', readOnly: true }],
      firmware: 'bios',
      marker: /login:/,
      failure: /Kernel panic|You are in emergency mode/,
      timeoutMs: 2_400_000,
      consoleLog: join(out, `${name}.console.log`),
      forwards: [{ hostPort: port, guestPort: 22 }],
      whileRunning: async () => {
        // cloud-init may still be putting the key in place when the login prompt shows.
        const deadline = Date.now() + 600_000;
        let last: unknown;
        while (Date.now() < deadline) {
          try {
            const { stdout } = await ssh('echo "user=$(id -un)"; echo "host=$(hostname)"; echo "rootsize=$(df -B1 --output=size / | tail -n 1 | tr -d " ")"; echo "hostkey=$(cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)"; echo "sudo=$(sudo -n id -un)"; echo "sources=$(cat /etc/cloud/cloud.cfg.d/91-dib-cloud-init-datasources.cfg)"; echo "platform=$(sudo -n cloud-init query platform)"');
            machine.facts = Object.fromEntries(stdout.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
            const scan = await execFile('ssh-keyscan', ['-p', String(port), '-t', 'ed25519', '127.0.0.1'], { timeout: 60_000 });
            machine.scannedKey = scan.stdout.trim().split(/\s+/).slice(1, 3).join(' ');
            return;
          } catch (error) {
            last = error;
            await new Promise((resolve) => setTimeout(resolve, 10_000));
          }
        }
        throw new Error(`no SSH login on ${name} (port ${port}) within 10 minutes: ${String(last)}`);
      },
    });
    machine.console = result.console;
    return machine;
  }

  it('two machines: SSH login as debian with the seed\'s key, different host keys, roots grown to their disks', async () => {
    const imageBytes = (JSON.parse(execFileSync('qemu-img', ['info', '--output=json', image]).toString()) as { 'virtual-size': number })['virtual-size'];
    expect(imageBytes).toBeLessThan(GROWN / 2);
    const [one, two] = await Promise.all([startMachine('guest-one'), startMachine('guest-two')]);
    for (const [machine, name] of [[one, 'guest-one'], [two, 'guest-two']] as const) {
      expect(machine.facts.user).toBe('debian');
      expect(machine.facts.host).toBe(name);
      expect(machine.facts.sudo).toBe('root');
      expect(Number(machine.facts.rootsize)).toBeGreaterThan(GROWN * 0.9);
      expect(machine.facts.hostkey).toMatch(/^ssh-ed25519 AAAA/);
      expect(machine.scannedKey).toBe(machine.facts.hostkey);
      expect(machine.console).toMatch(/growroot: /);
      // cloud-init asks the standard sources, and this machine's came from the NoCloud seed.
      expect(machine.facts.sources).toBe('datasource_list: [ NoCloud, ConfigDrive, OpenStack, Ec2, None ]');
      expect(machine.facts.platform).toBe('nocloud');
    }
    expect(one.facts.hostkey).not.toBe(two.facts.hostkey);
  }, 3_600_000);
});
