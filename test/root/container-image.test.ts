// Container images as the cloud-image flavour's starting root: a docker archive and an OCI
// archive kiln wrote come back as the same tree (owners, hard links, capabilities); an image
// of two layers has its deletions (whiteouts) applied; a layout with two images needs
// DIB_LOCAL_IMAGE_TAG; a compressed archive and a folder that is no layout are refused with what
// to do; nothing is left behind in the temp folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyContainerConfig } from '../../lib/flavours/container-config.js';
import { archiveTransport, skopeoCopyArgv } from '../../lib/image-read/container-image.js';
import { extractRoot } from '../../lib/image-read/extract-root.js';
import { nullLog } from '../../lib/log.js';
import { writeContainerOutputs } from '../../lib/outputs/container.js';
import { parseImageReference } from '../../lib/outputs/image-reference.js';
import { ResourceStack } from '../../lib/resources/disposable-stack.js';
import { isRoot, repo } from '../helpers/host.js';
import { DEBIAN_TREE, imageReadState, writeTree } from './get-kernel/images.js';

const HOOK = join(repo, 'flavours/cloud-image/root.d/10-cloud-image-unpack');
const sh = (script: string, cwd: string): string => execFileSync('bash', ['-euc', script], { cwd }).toString();

describe.skipIf(!isRoot)('container image sources (pure)', () => {
  it('tells docker and OCI archives from root tarballs by their top-level members', () => {
    expect(archiveTransport(['blobs/', 'blobs/sha256/ab', 'index.json', 'manifest.json', 'oci-layout', 'repositories'])).toBe('docker-archive');
    expect(archiveTransport(['./blobs/', './index.json', './oci-layout'])).toBe('oci-archive');
    expect(archiveTransport(['./', './etc/', './etc/os-release', './usr/share/doc/x/manifest.json'])).toBeUndefined();
  });

  it('asks skopeo for the build architecture\'s image, arm variants included', () => {
    expect(skopeoCopyArgv({ transport: 'oci', path: '/in' }, 'v1', 'armhf', '/w/layout')).toEqual([
      'skopeo', '--insecure-policy', 'copy', '--quiet', '--override-os', 'linux', '--override-arch', 'arm', '--override-variant', 'v7', 'oci:/in:v1', 'oci:/w/layout:kiln',
    ]);
    expect(skopeoCopyArgv({ transport: 'docker-archive', path: '/in.tar' }, undefined, 'amd64', '/w/l').slice(-2)).toEqual(['docker-archive:/in.tar', 'oci:/w/l:kiln']);
  });
});

describe.skipIf(!isRoot)('container images as the starting root (root)', () => {
  let dir: string;
  let tree: string;
  let target: string;
  let before: ReturnType<typeof imageReadState>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-container-image-test-'));
    before = imageReadState(dir);
    tree = join(dir, 'tree');
    target = join(dir, 'target');
    mkdirSync(target);
    writeTree(tree, { ...DEBIAN_TREE, 'usr/bin/ping': 'ping', 'home/u/file': 'mine', 'var/lib/gone/old': 'x', 'etc/obsolete': 'x' });
    chownSync(join(tree, 'home/u/file'), 1234, 5678);
    linkSync(join(tree, 'usr/bin/ping'), join(tree, 'usr/bin/ping-hardlink'));
    execFileSync('setcap', ['cap_net_raw+ep', join(tree, 'usr/bin/ping')]);
  });
  afterEach(() => {
    const after = imageReadState(dir);
    rmSync(dir, { recursive: true, force: true });
    expect(after).toEqual(before);
  });

  async function write(imageName: string, formats: string[], tag = '1'): Promise<void> {
    await writeContainerOutputs({
      formats, root: tree, imageName, reference: parseImageReference(`base:${tag}`), settings: emptyContainerConfig(),
      arch: 'amd64', epoch: 1700000000, createdBy: 'test', log: nullLog,
    });
  }

  async function extract(image: string, containerTag?: string): ReturnType<typeof extractRoot> {
    const stack = new ResourceStack();
    try {
      return await extractRoot({ image, target, log: nullLog, stack, arch: 'amd64', containerTag });
    } finally {
      await stack.disposeAsync();
    }
  }

  function expectSameTree(): void {
    expect(readFileSync(join(target, 'etc/os-release'), 'utf8')).toBe('ID=debian\n');
    const owned = statSync(join(target, 'home/u/file'));
    expect([owned.uid, owned.gid]).toEqual([1234, 5678]);
    expect(statSync(join(target, 'usr/bin/ping')).ino).toBe(statSync(join(target, 'usr/bin/ping-hardlink')).ino);
    expect(execFileSync('getcap', [join(target, 'usr/bin/ping')]).toString()).toMatch(/cap_net_raw[=+]ep/);
  }

  it('unpacks a docker archive and an OCI archive', async () => {
    await write(join(dir, 'base'), ['docker', 'oci-archive']);
    expect(await extract(join(dir, 'base.docker.tar'))).toEqual({ from: 'docker-archive container image', warnings: [] });
    expectSameTree();
    sh('rm -rf target && mkdir target', dir);
    expect((await extract(join(dir, 'base.oci.tar'))).from).toBe('oci-archive container image');
    expectSameTree();
  });

  it('applies the deletions of a later layer (whiteouts)', async () => {
    await write(join(dir, 'base'), ['oci']);
    // umoci makes the second layer from the changes to an unpacked bundle, as image builders do.
    sh(`umoci unpack --image base.oci:1 bundle
        rm bundle/rootfs/etc/obsolete && rm -r bundle/rootfs/var/lib/gone && echo added > bundle/rootfs/etc/added
        umoci repack --image base.oci:2 bundle`, dir);
    await extract(join(dir, 'base.oci'), '2');
    expect(readFileSync(join(target, 'etc/added'), 'utf8')).toBe('added\n');
    expect(existsSync(join(target, 'etc/obsolete'))).toBe(false);
    expect(existsSync(join(target, 'var/lib/gone'))).toBe(false);
    expect(readdirSync(target).filter((n) => n.startsWith('.wh.'))).toEqual([]);
    expectSameTree();
  });

  it('needs DIB_LOCAL_IMAGE_TAG when a layout holds several images', async () => {
    await write(join(dir, 'base'), ['oci']);
    sh('umoci tag --image base.oci:1 2', dir);
    await expect(extract(join(dir, 'base.oci'))).rejects.toThrow(/reading the container image oci:.*base\.oci/);
    expect(readdirSync(target)).toEqual([]);
    await extract(join(dir, 'base.oci'), '2');
    expectSameTree();
  });

  it('refuses a compressed container archive and a folder that is not a layout, saying what to do', async () => {
    await write(join(dir, 'base'), ['docker']);
    sh('gzip base.docker.tar && mkdir not-a-layout', dir);
    await expect(extract(join(dir, 'base.docker.tar.gz'))).rejects.toThrow(/holds no operating system: no etc\/os-release in the tarball/);
    try {
      await extract(join(dir, 'base.docker.tar.gz'));
    } catch (error) {
      expect((error as { hint?: string }).hint).toMatch(/compressed container archive: decompress it first/);
    }
    await expect(extract(join(dir, 'not-a-layout'))).rejects.toThrow(/is a folder but not an OCI image layout/);
  });

  it('the root.d hook takes a layout folder with its tag', async () => {
    await write(join(dir, 'base'), ['oci'], 'v1');
    writeFileSync(join(dir, 'unused'), '');
    const env = {
      PATH: process.env.PATH, TARGET_ROOT: target, KILN_SUDO: '', ARCH: 'amd64', TMPDIR: dir,
      IMAGE_ELEMENT_YAML: `cloud-image: ${join(repo, 'flavours/cloud-image')}`, DIB_LOCAL_IMAGE: join(dir, 'base.oci'), DIB_LOCAL_IMAGE_TAG: 'v1',
    };
    const r = spawnSync(HOOK, [], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`cloud-image: unpacked the root filesystem of ${join(dir, 'base.oci')} (oci container image) into ${target}`);
    expectSameTree();
  });
});
