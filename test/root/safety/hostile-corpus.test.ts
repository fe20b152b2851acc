// The hostile corpus: images and flavours built to make kiln touch host files (symlinks in the
// image leading to host paths, `..` out of the cache, shell in partition names, kernels that are
// links to /etc/shadow, tarballs that write through a link). Each is refused with a clear message
// or contained in the image, and the host's canary files stay exactly as they were.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { extractRoot } from '../../../lib/image-read/extract-root.js';
import { mountVolume } from '../../../lib/image-read/mount-volume.js';
import { openImage } from '../../../lib/image-read/open-image.js';
import { nullLog } from '../../../lib/log.js';
import { ResourceStack } from '../../../lib/resources/disposable-stack.js';
import { fixtures, hostState, isRoot, kiln, type HostState } from '../../helpers/host.js';
import { hook, mountsUnder, writeFlavour } from '../../helpers/hostile.js';
import { DEBIAN_TREE, ext4At, gptImage, writeTree } from '../get-kernel/images.js';

/** Every file and folder below `dir` with its content (files) or `<dir>`. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (path: string): void => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      const stat = statSync(full);
      out[relative(dir, full)] = stat.isDirectory() ? '<dir>' : readFileSync(full, 'utf8');
      if (stat.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out;
}

const PLANT = `r="$TARGET_ROOT"; c="$DIB_HOSTILE_CANARY"
case "$DIB_HOSTILE_MODE" in
contained)
    rm -f "$r/etc/resolv.conf"; ln -s "$c/resolv-canary" "$r/etc/resolv.conf"
    mkdir -p "$r/usr/sbin"; ln -s "$c/policy-canary" "$r/usr/sbin/policy-rc.d"
    ln -s "$c/tmp-canary" "$r/tmp/in_target.d"
    rmdir "$r/proc"; ln -s "../../../../../../../../../../../..$c/proc-canary" "$r/proc"
    rmdir "$r/dev"; ln -s "$c/dev-canary" "$r/dev"
    ln -s "$c/systemd-canary" "$r/etc/systemd"
    ln -s "$c/fstab-canary" "$r/etc/fstab"
    mkdir -p "$r/var"; ln -s "$c/cache-canary" "$r/var/cache"
    ;;
dev-loop) rmdir "$r/dev"; ln -s /dev "$r/dev" ;;
esac`;

describe.skipIf(!isRoot)('hostile images and flavours (root)', () => {
  let base: string;
  let canary: string;
  let hostBefore: Record<string, string>;
  let before: HostState;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'kiln-hostile-'));
    canary = join(base, 'host');
    for (const file of ['resolv-canary', 'policy-canary', 'fstab-canary']) {
      mkdirSync(canary, { recursive: true });
      writeFileSync(join(canary, file), `host ${file}\n`);
    }
    for (const dir of ['tmp-canary', 'proc-canary', 'dev-canary', 'systemd-canary', 'cache-canary']) {
      mkdirSync(join(canary, dir));
      writeFileSync(join(canary, dir, 'canary'), `host ${dir}\n`);
    }
    writeFlavour(join(base, 'flavours'), 'hostile', {
      'root.d/20-hostile': hook(PLANT),
      'install.d/50-look': hook('ls /tmp/in_target.d /var/cache/hostile > /dev/null'),
      'first-boot.d/50-hello': hook('echo hello'),
      'cache-mounts': 'hostile-cache /var/cache/hostile\n',
    });
    writeFlavour(join(base, 'flavours'), 'escape-cache', { 'cache-mounts': '../../host /var/cache/x\n' });
    writeFlavour(join(base, 'flavours'), 'cover-proc', { 'cache-mounts': 'apt /proc/sys\n' });
    writeFlavour(join(base, 'flavours'), 'linked-cache', { 'cache-mounts': 'linked /var/cache/linked\n', 'install.d/50-look': hook('ls /var/cache/linked') });
    hostBefore = snapshot(canary);
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  beforeEach(() => {
    before = hostState();
    return () => {
      expect(snapshot(canary)).toEqual(hostBefore);
      expect(mountsUnder(canary)).toEqual([]);
      expect(hostState()).toEqual(before);
    };
  });

  const build = (flavours: string[], extra: string[] = [], env: Record<string, string> = {}) => kiln('disk-image-create', [
    '-n', '-o', join(base, 'out/img'), '--flavours-path', `${fixtures}:${join(base, 'flavours')}`,
    '--image-cache', join(base, 'cache'), '--no-cache', ...extra, 'fake-os', ...flavours,
  ], { DIB_HOSTILE_CANARY: canary, DIB_HOSTILE_MODE: 'none', ...env });

  it('links to host paths everywhere kiln works in the image (resolv.conf, policy-rc.d, /tmp/in_target.d, /proc by .., /dev, /etc/systemd, /etc/fstab, /var/cache) are followed inside the image', async () => {
    const result = await build(['hostile', 'block-device-mbr'], ['-t', 'raw', '--image-size', '200M'], { DIB_HOSTILE_MODE: 'contained' });
    expect(result.code, result.stderr).toBe(0);
    expect(statSync(join(base, 'out/img.raw')).size).toBe(200 * 1024 * 1024);
  });

  it('/dev as a link to itself is refused with the path named', async () => {
    const result = await build(['hostile'], ['-t', 'tar'], { DIB_HOSTILE_MODE: 'dev-loop' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('image path /dev: too many levels of symbolic links (a loop?) at /dev');
    expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it.each([
    ['escape-cache', /flavour escape-cache: .*cache-mounts: cache sub-folder "\.\.\/\.\.\/host" must be a relative path of plain names/],
    ['cover-proc', /flavour cover-proc: .*cache-mounts: image folder "\/proc\/sys" is one kiln mounts itself/],
  ])('cache-mounts of flavour %s is refused before anything runs (exit 2)', async (flavour, message) => {
    const result = await build([flavour], ['-t', 'tar']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('a cache folder that is a symlink out of the cache is refused', async () => {
    mkdirSync(join(base, 'cache'), { recursive: true });
    symlinkSync(join(canary, 'cache-canary'), join(base, 'cache/linked'));
    try {
      const result = await build(['linked-cache'], ['-t', 'tar']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`cache folder ${join(base, 'cache/linked')} leads out of the cache (to ${join(canary, 'cache-canary')})`);
    } finally {
      rmSync(join(base, 'cache/linked'));
    }
  });

  const layout = (name: string, extra = ''): string => `- local_loop:\n    name: ${name}\n${extra}- partitioning:\n    base: ${name}\n    label: mbr\n    partitions:\n` +
    `      - name: ${name === 'image0' ? '"$(touch /tmp/kiln-pwned)"' : 'root'}\n        flags: [boot, primary]\n        size: 100%\n` +
    `- mkfs:\n    name: fs\n    base: ${name === 'image0' ? '"$(touch /tmp/kiln-pwned)"' : 'root'}\n    type: ext4\n- mount:\n    name: m\n    base: fs\n    mount_point: /\n- fstab:\n    name: f\n    base: m\n`;
  it.each([
    ['a partition name with $(...)', layout('image0'), /name "\$\(touch \/tmp\/kiln-pwned\)" may only hold letters/],
    ['a local_loop name with ../', layout('../../host/evil'), /name "\.\.\/\.\.\/host\/evil" may only hold letters/],
    ['a relative local_loop directory', layout('disk', '    directory: ../host\n'), /directory "\.\.\/host" must be an absolute path/],
  ])('%s is refused (exit 2)', async (_what, config, message) => {
    const result = await build(['block-device-mbr'], ['-t', 'raw'], { DIB_BLOCK_DEVICE_CONFIG: config });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(spawnSync('test', ['-e', '/tmp/kiln-pwned']).status).toBe(1);
  });

  describe('images given by users', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(base, 'images-'));
    });

    /** A GPT image of DEBIAN_TREE with `links` (path → target) added. */
    function imageWith(links: Record<string, string>, files: Record<string, string> = {}): string {
      const tree = join(dir, 'tree');
      writeTree(tree, { ...DEBIAN_TREE, ...files });
      for (const [path, target] of Object.entries(links)) {
        rmSync(join(tree, path), { force: true });
        symlinkSync(target, join(tree, path));
      }
      gptImage(join(dir, 'disk.raw'), tree);
      return join(dir, 'disk.raw');
    }
    const getKernel = (image: string) => kiln('disk-image-get-kernel', ['-i', image, '-d', dir, '-o', 'out']);

    it('get-kernel: a kernel that links to /etc/shadow does not copy the host\'s shadow', async () => {
      const result = await getKernel(imageWith({ 'boot/vmlinuz-6.1.0-1-amd64': '/etc/shadow' }));
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('/boot/vmlinuz-6.1.0-1-amd64 is not a regular file in the image (it leads to /etc/shadow)');
      expect(readdirSync(dir).filter((f) => f.startsWith('out'))).toEqual([]);
    });

    it('get-kernel: an initrd that climbs out with .. is resolved inside the image (its own file is taken)', async () => {
      const result = await getKernel(imageWith({ 'boot/initrd.img-6.1.0-1-amd64': '../../../../../../../../etc/hostname' }));
      expect(result.code, result.stderr).toBe(0);
      expect(readFileSync(join(dir, 'out-initrd'), 'utf8')).toBe('tiny\n');
      expect(readFileSync(join(dir, 'out-initrd'), 'utf8')).not.toBe(readFileSync('/etc/hostname', 'utf8'));
    });

    it('is mounted nosuid,nodev,noexec (and read-only)', async () => {
      const tree = join(dir, 'tree');
      writeTree(tree, DEBIAN_TREE);
      writeFileSync(join(dir, 'fs.img'), '');
      ext4At(join(dir, 'fs.img'), 0, 8 * 1024, tree);
      await using stack = new ResourceStack();
      const opened = await openImage(stack, join(dir, 'fs.img'), { log: nullLog });
      const point = await mountVolume(stack, opened.raw, opened.volumes[0]!, nullLog);
      const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === point)!;
      expect(line.split(' ')[5]!.split(',')).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    });

    it('DIB_LOCAL_IMAGE: a tarball that writes through a link to a host folder fails and writes nothing there', async () => {
      const src = join(dir, 'src');
      mkdirSync(src);
      symlinkSync(join(canary, 'systemd-canary'), join(src, 'etc'));
      execFileSync('tar', ['-cf', join(dir, 'evil.tar'), '-C', src, 'etc']);
      rmSync(join(src, 'etc'));
      mkdirSync(join(src, 'etc'));
      writeFileSync(join(src, 'etc/canary'), 'pwned\n');
      execFileSync('tar', ['-rf', join(dir, 'evil.tar'), '-C', src, 'etc/canary']);
      mkdirSync(join(dir, 'target'));
      await using stack = new ResourceStack();
      await expect(extractRoot({ image: join(dir, 'evil.tar'), target: join(dir, 'target'), log: nullLog, stack })).rejects.toThrow(/unpacking .*evil\.tar.* exited with code 2/);
    });
  });
});
