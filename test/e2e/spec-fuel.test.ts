// Fuel's image-based provisioning end to end, from one Debian build. The seed's document (the
// Debian mirror in place of Ubuntu's, bookworm, a local output folder) with two more
// repositories made here (a small package in version 1.0 and 2.0, built with dpkg-deb, served on
// 127.0.0.1) and that package to install:
// - kiln-build-image writes the / and /boot images (gzip) and the metadata file; each image
//   decompresses to a filesystem that passes fsck, matches its size and MD5 in the metadata and
//   holds what it should (kernel and initramfs in /boot, the rest in /, fstab by UUID);
// - the repository pinned higher wins although its version is lower, and the metadata lists it;
// - the same document again does nothing and says so;
// - the provision ramdisk writes the images, served over HTTP by this test, onto a blank virtual
//   disk under QEMU (TCG), and that disk then boots to a login prompt.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boot } from '../../lib/boot-test/qemu.js';
import { BOOT_FAILURE } from '../../lib/boot-test/image-boot-test.js';
import { buildDeb, buildRepo, serveFolder } from '../helpers/apt-repo.js';
import { e2eCache } from '../helpers/e2e.js';
import { hostState, isRoot, kiln } from '../helpers/host.js';
import { fuelDocument } from '../unit/spec/bad-specs.js';

interface Image { mount: string; format: string; container: string; container_name: string; container_size: number; container_md5: string; raw_size: number; raw_md5: string; uuid: string }
interface Metadata { images: Image[]; repos: { name: string; priority: number | null }[]; packages: string[]; all_packages: Record<string, string> }

const md5 = (path: string): string => createHash('md5').update(readFileSync(path)).digest('hex');
const debugfsCat = (image: string, path: string): string => execFileSync('debugfs', ['-R', `cat ${path}`, image], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();

describe.skipIf(!isRoot)('Fuel documents: per-mount-point images, pinning, provisioning (e2e)', () => {
  let dir: string;
  let out: string;
  let server: Awaited<ReturnType<typeof serveFolder>>;
  let metadata: Metadata;
  const spec = (): string => join(dir, 'fuel.json');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-fuel-'));
    out = join(dir, 'www/targetimages');
    const debs = join(dir, 'debs');
    mkdirSync(debs);
    buildRepo(join(dir, 'www/repos/old'), { suite: 'kiln-old', origin: 'kiln-tests', label: 'kiln old', debs: [buildDeb(debs, 'kiln-pin-test', '1.0')] });
    buildRepo(join(dir, 'www/repos/new'), { suite: 'kiln-new', origin: 'kiln-tests', label: 'kiln new', debs: [buildDeb(debs, 'kiln-pin-test', '2.0')] });
    server = await serveFolder(join(dir, 'www'));
    const doc = fuelDocument(out) as { repos: unknown[]; packages?: string[] };
    const base = `http://127.0.0.1:${server.port}/repos`;
    doc.repos.push(
      { name: 'kiln-old', type: 'deb', uri: `${base}/old`, suite: 'kiln-old', section: 'main', priority: 990 },
      { name: 'kiln-new', type: 'deb', uri: `${base}/new`, suite: 'kiln-new', section: 'main', priority: 500 },
    );
    doc.packages = ['kiln-pin-test'];
    writeFileSync(spec(), JSON.stringify(doc, null, 2));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the / and /boot images and the metadata file, leaving nothing behind', async () => {
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    const before = hostState();
    const started = Date.now();
    const result = await kiln('kiln-build-image', [spec()], { DIB_IMAGE_CACHE: e2eCache(), TMPDIR: tmp });
    console.log(`Fuel build: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'env_4_debian_12_amd64-boot.img.gz', 'env_4_debian_12_amd64.cdx.json', 'env_4_debian_12_amd64.d', 'env_4_debian_12_amd64.img.gz',
      'env_4_debian_12_amd64.log', 'env_4_debian_12_amd64.manifest.json', 'env_4_debian_12_amd64.spdx.json', 'env_4_debian_12_amd64.yaml',
    ]);
    expect(readdirSync(tmp)).toEqual([]);
    expect(hostState()).toEqual(before);
    const log = readFileSync(join(out, 'env_4_debian_12_amd64.log'), 'utf8');
    expect(log).toMatch(/apt-sources: kiln-old: pinned at 990 \(release [^)]*l=kiln old/);
    expect(log).toContain('apt-sources: apt confirms the priority of every pinned repository');
    metadata = parseYaml(readFileSync(join(out, 'env_4_debian_12_amd64.yaml'), 'utf8')) as Metadata;
  });

  it('each image is a filesystem that passes fsck and matches its size and MD5 in the metadata', () => {
    expect(metadata.images.map((i) => [i.mount, i.format, i.container, i.container_name])).toEqual([
      ['/boot', 'ext2', 'gzip', 'env_4_debian_12_amd64-boot.img.gz'],
      ['/', 'ext4', 'gzip', 'env_4_debian_12_amd64.img.gz'],
    ]);
    for (const image of metadata.images) {
      const container = join(out, image.container_name);
      expect(statSync(container).size).toBe(image.container_size);
      expect(md5(container)).toBe(image.container_md5);
      const raw = join(dir, `${image.mount === '/' ? 'root' : 'boot'}.raw`);
      execFileSync('sh', ['-c', 'gzip -dc "$1" > "$2"', 'sh', container, raw]);
      expect(statSync(raw).size).toBe(image.raw_size);
      expect(md5(raw)).toBe(image.raw_md5);
      execFileSync('e2fsck', ['-f', '-n', raw], { stdio: 'ignore' });
      const blkid = execFileSync('blkid', ['-p', '-o', 'export', raw]).toString();
      expect(blkid).toContain(`TYPE=${image.format}`);
      expect(blkid).toContain(`UUID=${image.uuid}`);
    }
  });

  it('/boot holds the kernel and initramfs, / the rest, and /etc/fstab mounts each by UUID', () => {
    const boot = execFileSync('debugfs', ['-R', 'ls -p /', join(dir, 'boot.raw')], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    expect(boot).toMatch(/\/vmlinuz-\d[^/]*-amd64\//);
    expect(boot).toMatch(/\/initrd\.img-\d[^/]*-amd64\//);
    const root = join(dir, 'root.raw');
    expect(execFileSync('debugfs', ['-R', 'ls -p /boot', root], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim().split('\n')).toHaveLength(2);
    expect(debugfsCat(root, '/usr/lib/os-release')).toMatch(/VERSION_CODENAME=bookworm/);
    const [boot0, root0] = metadata.images;
    expect(debugfsCat(root, '/etc/fstab')).toMatch(new RegExp(`UUID=${root0!.uuid} / ext4 [^\\n]* 0 1\\nUUID=${boot0!.uuid} /boot ext2 [^\\n]* 0 2\\n`));
  });

  it('the pinned repository wins over the newer version, and the metadata lists it', () => {
    expect(metadata.all_packages['kiln-pin-test']).toBe('1.0');
    expect(metadata.packages).toEqual(['kiln-pin-test']);
    expect(metadata.repos.map((r) => [r.name, r.priority])).toEqual([['debian', 1001], ['kiln-old', 990], ['kiln-new', 500]]);
    const root = join(dir, 'root.raw');
    expect(debugfsCat(root, '/usr/share/doc/kiln-pin-test/version').trim()).toBe('1.0');
    expect(debugfsCat(root, '/etc/apt/preferences.d/kiln-kiln-old.pref')).toMatch(/Pin: release .*\nPin-Priority: 990/);
    expect(debugfsCat(root, '/etc/apt/sources.list.d/kiln-new.list')).toContain(`deb http://127.0.0.1:${server.port}/repos/new kiln-new main`);
  });

  it('the same document again does nothing, and says so', async () => {
    const stamp = statSync(join(out, 'env_4_debian_12_amd64.img.gz')).mtimeMs;
    const result = await kiln('kiln-build-image', [spec()], { DIB_IMAGE_CACHE: e2eCache() });
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(result.stderr).toMatch(/nothing to do: .*env_4_debian_12_amd64\.yaml lists images built from these same inputs/);
    expect(statSync(join(out, 'env_4_debian_12_amd64.img.gz')).mtimeMs).toBe(stamp);
  });

  it('the provision ramdisk writes the images onto a blank disk over HTTP, and the disk boots to a login prompt', async () => {
    const name = join(dir, 'provision');
    const built = await kiln('ramdisk-image-create', ['-o', name, '--image-cache', e2eCache(), 'debian', 'provision'], { TMPDIR: join(dir, 'tmp') });
    expect(built.code, built.stderr.slice(-3000)).toBe(0);
    const disk = join(dir, 'disk.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '4G']);
    const metadataUrl = `http://10.0.2.2:${server.port}/targetimages/env_4_debian_12_amd64.yaml`;
    const provisioned = await boot({
      disks: [{ path: disk, format: 'qcow2' }], firmware: 'bios', kernel: `${name}.kernel`, initrd: `${name}.initramfs`,
      append: `console=ttyS0 kiln.provision.metadata=${metadataUrl} kiln.provision.target=/dev/vda kiln.on-failure=poweroff`,
      marker: /kiln-provision: done: 2 images on \/dev\/vda/, failure: /kiln-provision: ERROR|Kernel panic/, waitForExit: true,
      timeoutMs: 1_800_000, consoleLog: join(dir, 'provision.console.log'),
    });
    console.log(`provisioning boot to power-off: ${provisioned.seconds.toFixed(0)} s\n${provisioned.console.match(/kiln-provision: \S+: wrote .*/g)?.join('\n')}`);
    for (const image of metadata.images) {
      expect(provisioned.console).toMatch(new RegExp(`kiln-provision: ${image.mount}: wrote ${image.container_name} to /dev/vda\\d in \\d+ s \\(zero blocks skipped\\)`));
      expect(provisioned.console).toContain(`${image.raw_size} bytes, MD5 ${image.raw_md5}, as the metadata says`);
    }
    const booted = await boot({
      disks: [{ path: disk, format: 'qcow2' }], firmware: 'bios', marker: /login:/, failure: BOOT_FAILURE,
      timeoutMs: 900_000, consoleLog: join(dir, 'provisioned.console.log'),
    });
    console.log(`provisioned disk to login prompt: ${booted.seconds.toFixed(0)} s`);
    expect(booted.console).toContain(`root=UUID=${metadata.images.find((i) => i.mount === '/')!.uuid}`);
  });
});
