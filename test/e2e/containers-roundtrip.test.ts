// Container images in and out of a real Debian build, and the image on a "real" disk:
// - `-t tar,oci,docker` of debian + a flavour with a container-config.yaml: umoci unpacks the OCI
//   layout (validating it) to exactly the files of the tar output (owners, modes, capabilities,
//   xattrs), and skopeo shows the entrypoint, cmd, environment and labels the flavour set, in the
//   layout and in the docker archive;
// - the round trip: that docker archive is the starting root of a `cloud-image vm` build (GPT);
//   kiln-write-disk writes the qcow2 to a larger loop device (verified, backup GPT moved to the
//   end, last partition grown) and that disk boots to a login prompt under QEMU. The one boot
//   proves both the VM made from a container image and the written disk.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boot } from '../../lib/boot-test/qemu.js';
import { fsckAll, partitions } from '../helpers/disk.js';
import { e2eCache } from '../helpers/e2e.js';
import { fixtures, hostState, isRoot, kiln, type HostState } from '../helpers/host.js';
import { treeManifest } from '../helpers/tree-manifest.js';

/** A TCG boot takes about a minute on an idle machine: allow five, times how overloaded the machine is (at most 30). */
function bootTimeoutMs(): number {
  return Math.min(1_800_000, 300_000 * Math.max(1, loadavg()[0]! / availableParallelism()));
}

const json = (argv: string[]): Record<string, unknown> => JSON.parse(execFileSync(argv[0]!, argv.slice(1)).toString()) as Record<string, unknown>;
const sh = (script: string, cwd: string): string => execFileSync('bash', ['-euc', script], { cwd, maxBuffer: 1 << 28 }).toString();

describe.skipIf(!isRoot)('container images in and out, and kiln-write-disk (e2e)', () => {
  let out: string;
  let before: HostState;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-containers-'));
    before = hostState();
    const result = await kiln('disk-image-create', [
      '-t', 'tar,oci,docker', '--docker-target', 'kiln-e2e/app:1', '-o', join(out, 'app'),
      '--image-cache', e2eCache(), '--flavours-path', fixtures, 'debian', 'container-app',
    ]);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
  }, 1_200_000);

  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    expect(hostState()).toEqual(before);
  });

  it('writes an OCI layout umoci unpacks to the same files as the tar output, with the flavour\'s config', () => {
    sh('mkdir from-tar && tar --extract --file app.tar --directory from-tar --xattrs --xattrs-include="*" --acls --numeric-owner --same-permissions', out);
    sh('umoci unpack --image app.oci:1 bundle', out);
    const unpacked = treeManifest(join(out, 'bundle/rootfs'));
    expect(unpacked.length).toBeGreaterThan(5000);
    expect(unpacked).toEqual(treeManifest(join(out, 'from-tar')));
    expect(unpacked.find((l) => l.startsWith('srv/app\t'))).toMatch(/^srv\/app\td\t0750\t4321:4321\t/);
    expect(unpacked.join("\n")).toMatch(/# file: (\.\/)?usr\/bin\/ping\nsecurity\.capability=0x/);
    sh('rm -rf bundle from-tar', out);

    for (const source of [`oci:${out}/app.oci:1`, `docker-archive:${out}/app.docker.tar:kiln-e2e/app:1`]) {
      const inspect = json(['skopeo', 'inspect', source]) as { Labels: Record<string, string>; Architecture: string };
      expect(inspect.Labels, source).toEqual({ 'org.opencontainers.image.title': 'kiln e2e app', 'org.opencontainers.image.source': 'https://example.invalid/kiln' });
      expect(inspect.Architecture).toBe('amd64');
      const { config } = json(['skopeo', 'inspect', '--config', source]) as { config: Record<string, unknown> };
      expect(config, source).toMatchObject({
        Entrypoint: ['/usr/bin/ping'], Cmd: ['-c', '1', '127.0.0.1'], WorkingDir: '/srv/app', ExposedPorts: { '8080/tcp': {} },
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'APP_MODE=e2e'],
      });
    }
  }, 600_000);

  it('turns the docker archive into a VM image, writes it to a larger disk with kiln-write-disk, and that disk boots', async () => {
    const vm = await kiln('disk-image-create', ['-t', 'qcow2', '-o', join(out, 'vm'), '--image-cache', e2eCache(), 'cloud-image', 'vm', 'block-device-gpt'],
      { DIB_LOCAL_IMAGE: join(out, 'app.docker.tar') });
    expect(vm.code, vm.stderr.slice(-3000)).toBe(0);
    expect(readFileSync(join(out, 'vm.log'), 'utf8')).toMatch(/unpacked the root filesystem of .*app\.docker\.tar \(docker-archive container image\)/);

    const virtual = (json(['qemu-img', 'info', '--output=json', join(out, 'vm.qcow2')]) as { 'virtual-size': number })['virtual-size'];
    const disk = join(out, 'disk.raw');
    sh(`truncate -s ${virtual + 512 * 1024 * 1024} ${disk}`, out);
    const loop = execFileSync('losetup', ['--find', '--show', disk]).toString().trim();
    let written;
    try {
      written = await kiln('kiln-write-disk', ['--yes', '--grow', join(out, 'vm.qcow2'), loop]);
    } finally {
      spawnSync('losetup', ['-d', loop]);
    }
    expect(written.code, written.stderr.slice(-3000)).toBe(0);
    expect(written.stderr).toMatch(/verified: \/dev\/loop\d+ holds the image \(sha256 [0-9a-f]{64}\)/);
    expect(written.stderr).toContain('moved the backup GPT header to the end of');
    expect(sh(`sgdisk --verify ${disk}`, out)).toMatch(/No problems found/);
    const parts = partitions(disk);
    const last = parts[parts.length - 1]!;
    expect((last.start + last.size) * 512).toBeGreaterThan(virtual);
    expect(fsckAll(disk)).toContain('ext4: ok');

    // On an overloaded machine udev can take longer than systemd's 90 s device timeout to announce
    // ttyS0: the serial getty is then never started, and waiting longer cannot help.
    const booted = await boot({
      disks: [{ path: disk, format: 'raw' }], firmware: 'bios', marker: /login:/, timeoutMs: bootTimeoutMs(), consoleLog: join(out, 'boot.log'), snapshot: true,
      failure: /Kernel panic|emergency mode|grub rescue>|Dependency failed for .*Serial Getty on ttyS0/,
    });
    expect(booted.console).toMatch(/login:/);
  }, 3_600_000);
});
