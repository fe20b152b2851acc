// kiln's builder container, built by kiln itself (`-t docker` of debian kiln-container) and
// checked as the README runs it. Where a container engine can run containers (Podman, vfs
// storage), kiln runs from the image and builds a tar of a small tree; where none can (as on the
// CI machines: crun may not set rlimits there), the image is unpacked and kiln runs inside it with
// chroot: `--help`, a `--dry-run` of a disk image, and a real tar build of a small tree. The test
// prints which of the two it did.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eCache } from '../helpers/e2e.js';
import { fixtures, hostState, isRoot, kiln, type HostState } from '../helpers/host.js';

const IMAGE = 'kiln-builder-e2e:1';
const json = (argv: string[]): Record<string, unknown> => JSON.parse(execFileSync(argv[0]!, argv.slice(1)).toString()) as Record<string, unknown>;

/** Podman with its own store under `dir`, if it is installed and can run a container; else why not. */
function podman(dir: string): { run: (args: string[]) => ReturnType<typeof spawnSync> } | string {
  if (spawnSync('which', ['podman']).status !== 0) return 'podman is not installed';
  const base = ['--storage-driver', 'vfs', '--root', join(dir, 'podman-root'), '--runroot', join(dir, 'podman-run')];
  const run = (args: string[]): ReturnType<typeof spawnSync> => spawnSync('podman', [...base, ...args], { encoding: 'utf8', timeout: 900_000, maxBuffer: 1 << 26 });
  // A one-file probe image first: loading the builder image only pays off where containers run.
  mkdirSync(join(dir, 'probe'));
  execFileSync('cp', ['/bin/busybox', join(dir, 'probe/busybox')]);
  execFileSync('tar', ['-C', join(dir, 'probe'), '-cf', join(dir, 'probe.tar'), 'busybox']);
  const imported = run(['import', join(dir, 'probe.tar'), 'kiln-probe:1']);
  if (imported.status !== 0) return `podman import failed: ${String(imported.stderr).trim().split('\n').pop()}`;
  const probe = run(['run', '--rm', '--network', 'none', 'kiln-probe:1', '/busybox', 'true']);
  if (probe.status !== 0) return `podman cannot run containers here: ${String(probe.stderr).trim().split('\n').pop()}`;
  const loaded = run(['load', '--input', join(dir, 'kiln.docker.tar')]);
  return loaded.status === 0 ? { run } : `podman load failed: ${String(loaded.stderr).trim().split('\n').pop()}`;
}

/** Runs `argv` in `root` with chroot, /proc, /sys and /dev mounted for it (and unmounted after). */
function inChroot(root: string, argv: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const mounts = [['proc', 'proc', '-t', 'proc'], ['sysfs', 'sys', '-t', 'sysfs'], ['/dev', 'dev', '--rbind'], ['tmpfs', 'tmp', '-t', 'tmpfs']] as const;
  const done: string[] = [];
  try {
    for (const [source, target, ...how] of mounts) {
      execFileSync('mount', [...how, source, join(root, target)]);
      done.push(join(root, target));
      if (target === 'dev') execFileSync('mount', ['--make-rslave', join(root, target)]);
    }
    const result = spawnSync('chroot', [root, ...argv], { encoding: 'utf8', env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', ...env }, maxBuffer: 1 << 26 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    for (const m of done.reverse()) execFileSync('umount', ['--recursive', '--lazy', m]);
  }
}

describe.skipIf(!isRoot)('kiln\'s builder container image (e2e)', () => {
  let out: string;
  let before: HostState;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-builder-'));
    before = hostState();
    const result = await kiln('disk-image-create', ['-t', 'docker', '--docker-target', IMAGE, '-o', join(out, 'kiln'), '--image-cache', e2eCache(), 'debian', 'kiln-container']);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
  }, 2_400_000);

  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    expect(hostState()).toEqual(before);
  });

  it('carries the configuration the README relies on', () => {
    const source = `docker-archive:${join(out, 'kiln.docker.tar')}:${IMAGE}`;
    const { config } = json(['skopeo', 'inspect', '--config', source]) as { config: Record<string, unknown> };
    expect(config).toMatchObject({ Cmd: ['disk-image-create', '--help'], WorkingDir: '/build', Volumes: { '/build': {}, '/var/cache/kiln': {} } });
    expect(config.Env).toContain('DIB_IMAGE_CACHE=/var/cache/kiln');
    expect((json(['skopeo', 'inspect', source]) as { Labels: Record<string, string> }).Labels['org.opencontainers.image.title']).toBe('kiln');
  });

  it('runs kiln: in a container where an engine can run one, else in the unpacked image with chroot', () => {
    const engine = podman(out);
    mkdirSync(join(out, 'build'));
    if (typeof engine !== 'string') {
      console.log('builder image test: ran kiln in a Podman container');
      const built = engine.run(['run', '--rm', '--privileged', '-v', '/dev:/dev', '-v', `${join(out, 'build')}:/build`, '-v', `${fixtures}:/fixtures:ro`,
        IMAGE, 'disk-image-create', '-n', '-t', 'tar', '--flavours-path', '/fixtures', '-o', 'small', 'fake-os']);
      expect(built.status, String(built.stderr)).toBe(0);
      expect(existsSync(join(out, 'build/small.tar'))).toBe(true);
      return;
    }
    console.log(`builder image test: ${engine}; checked the image with chroot instead (--help, --dry-run, a tar build)`);
    const root = join(out, 'rootfs');
    execFileSync('skopeo', ['--insecure-policy', 'copy', '--quiet', `docker-archive:${join(out, 'kiln.docker.tar')}:${IMAGE}`, `oci:${join(out, 'layout')}:kiln`]);
    execFileSync('umoci', ['raw', 'unpack', '--image', `${join(out, 'layout')}:kiln`, root]);
    const help = inChroot(root, ['disk-image-create', '--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: disk-image-create \[options\]/m);
    const plan = inChroot(root, ['disk-image-create', '--dry-run', '-o', '/build/demo', 'debian', 'vm']);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/kiln build plan: qcow2 for amd64/);
    expect(plan.stdout).toContain('/opt/kiln/flavours/debian');
    // A real build with the image's kiln and tools: the fake-os fixture copied into the image.
    execFileSync('cp', ['-a', fixtures, join(root, 'fixtures')]);
    const built = inChroot(root, ['disk-image-create', '-n', '-t', 'tar', '--flavours-path', '/fixtures', '-o', '/build/small', 'fake-os'], { TMPDIR: '/tmp' });
    expect(built.status, built.stderr.slice(-3000)).toBe(0);
    expect(execFileSync('tar', ['-tf', join(root, 'build/small.tar')]).toString()).toMatch(/\.\/etc\/os-release\n/);
  }, 1_200_000);
});
