// The cloud-image flavour's root.d: unpacking the root filesystem of a raw, qcow2 or tarball
// image into the build root, with owners, modes, hard links and file capabilities; its errors;
// and no loop device, mount or temp folder left behind.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractRoot } from '../../../lib/image-read/extract-root.js';
import { nullLog } from '../../../lib/log.js';
import { ResourceStack } from '../../../lib/resources/disposable-stack.js';
import { isRoot, repo } from '../../helpers/host.js';
import { DEBIAN_TREE, gptImage, imageReadState, toQcow2, writeTree } from './images.js';

const HOOK = join(repo, 'flavours/cloud-image/root.d/10-cloud-image-unpack');
const haveSetcap = spawnSync('which', ['setcap']).status === 0;

describe.skipIf(!isRoot)('cloud-image root extraction', () => {
  let dir: string;
  let tree: string;
  let target: string;
  let before: ReturnType<typeof imageReadState>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-extract-test-'));
    before = imageReadState(dir);
    tree = join(dir, 'tree');
    target = join(dir, 'target');
    mkdirSync(target);
    writeTree(tree, { ...DEBIAN_TREE, 'etc/fstab': 'UUID=x / ext4 defaults 0 1\nUUID=y /boot/efi vfat umask=077 0 1\n', 'usr/bin/ping': 'ping', 'home/u/file': 'mine' });
    chownSync(join(tree, 'home/u/file'), 1234, 5678);
    linkSync(join(tree, 'usr/bin/ping'), join(tree, 'usr/bin/ping-hardlink'));
    if (haveSetcap) execFileSync('setcap', ['cap_net_raw+ep', join(tree, 'usr/bin/ping')]);
  });
  afterEach(() => {
    const after = imageReadState(dir);
    rmSync(dir, { recursive: true, force: true });
    expect(after).toEqual(before);
  });

  async function extract(image: string): ReturnType<typeof extractRoot> {
    const stack = new ResourceStack();
    try {
      return await extractRoot({ image, target, log: nullLog, stack });
    } finally {
      await stack.disposeAsync();
    }
  }

  function expectSameTree(): void {
    expect(readFileSync(join(target, 'etc/os-release'), 'utf8')).toBe('ID=debian\n');
    expect(readFileSync(join(target, 'boot/vmlinuz-6.1.0-1-amd64'), 'utf8')).toBe('kernel 6.1.0-1\n');
    const owned = statSync(join(target, 'home/u/file'));
    expect([owned.uid, owned.gid]).toEqual([1234, 5678]);
    expect(statSync(join(target, 'usr/bin/ping')).ino).toBe(statSync(join(target, 'usr/bin/ping-hardlink')).ino);
    if (haveSetcap) expect(execFileSync('getcap', [join(target, 'usr/bin/ping')]).toString()).toMatch(/cap_net_raw[=+]ep/);
  }

  it('copies the root filesystem of a GPT raw image', async () => {
    gptImage(join(dir, 'base.raw'), tree);
    expect(await extract(join(dir, 'base.raw'))).toEqual({ from: 'partition 3', warnings: [] });
    expectSameTree();
  });

  it('copies the root filesystem of a qcow2 image', async () => {
    gptImage(join(dir, 'base.raw'), tree);
    toQcow2(join(dir, 'base.raw'), join(dir, 'base.qcow2'));
    expect((await extract(join(dir, 'base.qcow2'))).from).toBe('partition 3');
    expectSameTree();
  });

  it('unpacks root tarballs, compressed or not', async () => {
    for (const [name, flags] of [['root.tar', []], ['root.tar.zst', ['--zstd']], ['root.tar.gz', ['-z']]] as const) {
      execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', ...flags, '-C', tree, '-cf', join(dir, name), '.']);
      rmSync(target, { recursive: true });
      mkdirSync(target);
      expect(await extract(join(dir, name))).toEqual({ from: 'tarball', warnings: [] });
      expectSameTree();
    }
  });

  it('warns about filesystems the image mounts besides its root', async () => {
    writeFileSync(join(tree, 'etc/fstab'), 'UUID=x / ext4 defaults 0 1\nLABEL=var /var xfs defaults 0 2\n');
    gptImage(join(dir, 'base.raw'), tree);
    expect((await extract(join(dir, 'base.raw'))).warnings).toEqual([`${join(dir, 'base.raw')}: the image mounts /var from another filesystem; only its root filesystem (partition 3) was copied`]);
  });

  it('refuses an image without an operating system', async () => {
    writeTree(join(dir, 'data'), { 'just/data': 'x' });
    gptImage(join(dir, 'data.raw'), join(dir, 'data'));
    await expect(extract(join(dir, 'data.raw'))).rejects.toThrow(`${join(dir, 'data.raw')} holds no operating system: no etc/os-release in partition 3`);
  });

  describe('the root.d hook', () => {
    const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH, TARGET_ROOT: target, KILN_SUDO: '', IMAGE_ELEMENT_YAML: `debian: /x\ncloud-image: ${join(repo, 'flavours/cloud-image')}`, ...extra,
    });

    it('unpacks DIB_LOCAL_IMAGE with kiln\'s image reader', () => {
      gptImage(join(dir, 'base.raw'), tree);
      toQcow2(join(dir, 'base.raw'), join(dir, 'base.qcow2'));
      const r = spawnSync(HOOK, [], { env: env({ DIB_LOCAL_IMAGE: join(dir, 'base.qcow2') }), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`cloud-image: unpacked the root filesystem of ${join(dir, 'base.qcow2')} (partition 3) into ${target}`);
      expectSameTree();
    });

    it('says what to do when DIB_LOCAL_IMAGE is unset or wrong', () => {
      let r = spawnSync(HOOK, [], { env: env({}), encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^cloud-image: ERROR: DIB_LOCAL_IMAGE is not set: set it to the image to build on/);
      r = spawnSync(HOOK, [], { env: env({ DIB_LOCAL_IMAGE: join(dir, 'none.qcow2') }), encoding: 'utf8' });
      expect(r.stderr).toBe(`cloud-image: ERROR: DIB_LOCAL_IMAGE=${join(dir, 'none.qcow2')} does not exist or is not a file or an OCI layout folder\n`);
      writeFileSync(join(dir, 'text.img'), 'hello\n');
      r = spawnSync(HOOK, [], { env: env({ DIB_LOCAL_IMAGE: join(dir, 'text.img') }), encoding: 'utf8' });
      expect([r.status, r.stderr.split('\n')[0]]).toEqual([2, `cloud-image: ${join(dir, 'text.img')} is not a disk image: it has no qcow2 header, partition table or ext4/XFS/btrfs filesystem`]);
      expect(readdirSync(target)).toEqual([]);
    });
  });
});
