// diskimage-builder's own elements, unchanged (the element folder of Debian's
// python3-diskimage-builder on ELEMENTS_PATH), built by kiln: debian-minimal vm boots to a login
// prompt (QEMU TCG), and a typical cloud mix builds to a tarball that holds sshd and
// the cloud-init datasource configuration. DIB itself cannot finish a vm image here (no
// device-mapper); kiln runs its elements with DIB's environment contract.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boot } from '../../lib/boot-test/qemu.js';
import { e2eCache } from '../helpers/e2e.js';
import { hostState, isRoot, kiln, requireHostProgram } from '../helpers/host.js';

/** The element folder of Debian's diskimage-builder (its own python3 imports it), if installed. */
function dibElements(): string | undefined {
  try {
    return execFileSync('/usr/bin/python3', ['-c', 'import diskimage_builder, os; print(os.path.join(os.path.dirname(diskimage_builder.__file__), "elements"))'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return undefined;
  }
}
const elements = dibElements();

describe.skipIf(!isRoot)('diskimage-builder\'s own elements (e2e, Debian mirror, QEMU TCG)', () => {
  let out: string;
  // DIB's debian-minimal defaults to `stable` with security.debian.org; this network serves
  // deb.debian.org only, so the release and the security mirror are named, as a DIB user would.
  const env = {
    ELEMENTS_PATH: elements!, DIB_RELEASE: 'bookworm',
    DIB_DEBIAN_SECURITY_MIRROR: 'http://deb.debian.org/debian-security', DIB_DEBIAN_SECURITY_SUBPATH: '-security',
  };
  beforeAll(() => {
    requireHostProgram(elements, 'diskimage-builder\'s elements', 'python3-diskimage-builder');
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-dib-elements-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('debian-minimal vm builds from DIB\'s elements and boots to a login prompt', async () => {
    const before = hostState();
    const result = await kiln('disk-image-create', ['-o', join(out, 'vm'), '--image-cache', e2eCache(), 'debian-minimal', 'vm'], env);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(hostState()).toEqual(before);
    // Booted here rather than with --boot-test, whose 5 minutes an emulated machine on a busy
    // shared host can outlast.
    const booted = await boot({
      disks: [{ path: join(out, 'vm.qcow2'), format: 'qcow2' }], firmware: 'bios', snapshot: true,
      marker: /login:/, failure: /Kernel panic|You are in emergency mode/, timeoutMs: 2_400_000, consoleLog: join(out, 'vm.console.log'),
    });
    expect(booted.console).toMatch(/login:/);
    // DIB's manifests element wrote the contract's DIB_ARGS and DIB_ENV beside the image.
    expect(readFileSync(join(out, 'vm.d/dib-manifests/dib_arguments'), 'utf8')).toContain('debian-minimal vm');
    expect(readFileSync(join(out, 'vm.d/dib-manifests/dib_environment'), 'utf8')).toContain('DIB_RELEASE="bookworm"');
  });

  it('the cloud mix builds to a tarball with sshd, the datasource configuration, and no host keys', async () => {
    const before = hostState();
    // `cloud-init` installs cloud-init: cloud-init-datasources writes its file only where cloud-init is.
    const mix = ['debian-minimal', 'devuser', 'growroot', 'dhcp-all-interfaces', 'cloud-init-datasources', 'install-static', 'runtime-ssh-host-keys', 'openssh-server', 'cloud-init'];
    const dry = await kiln('disk-image-create', ['--dry-run', '-t', 'tar', '-o', join(out, 'cloud'), '--image-cache', e2eCache(), ...mix], { ...env, DIB_CLOUD_INIT_DATASOURCES: 'NoCloud, ConfigDrive, OpenStack, Ec2' });
    expect(dry.code, dry.stderr).toBe(0);
    const result = await kiln('disk-image-create', ['-t', 'tar', '-o', join(out, 'cloud'), '--image-cache', e2eCache(), ...mix], { ...env, DIB_CLOUD_INIT_DATASOURCES: 'NoCloud, ConfigDrive, OpenStack, Ec2' });
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(hostState()).toEqual(before);
    const tar = join(out, 'cloud.tar');
    const files = execFileSync('tar', ['-tf', tar], { maxBuffer: 256 * 1024 * 1024 }).toString().split('\n');
    expect(files).toContain('./usr/sbin/sshd');
    expect(files).toContain('./etc/systemd/system/multi-user.target.wants/ssh-keygen.service');
    expect(files).toContain('./etc/systemd/system/multi-user.target.wants/growroot.service');
    expect(files.filter((f) => f.startsWith('./etc/ssh/ssh_host_'))).toEqual([]);
    expect(execFileSync('tar', ['-xOf', tar, './etc/cloud/cloud.cfg.d/91-dib-cloud-init-datasources.cfg']).toString())
      .toBe('datasource_list: [  NoCloud, ConfigDrive, OpenStack, Ec2, None ]\n');
    expect(files).toContain('./home/devuser/');
    expect(existsSync(join(out, 'cloud.d/dib-manifests'))).toBe(true);
  });
});
