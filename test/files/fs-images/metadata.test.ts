// The metadata file of a per-mount-point build: Fuel's keys, the installed packages from dpkg's
// status file, and the contract with its one reader that is not a YAML library: the provision
// ramdisk's awk (run here with busybox, as in the ramdisk) must read back every image.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../lib/block-device/random.js';
import { imageRecord, installedPackages, metadataText, readMetadata } from '../../../lib/fs-images/metadata.js';
import { filesystemLabel, initialImageBytes, planFilesystems, shrunkImageBytes, splitOrder } from '../../../lib/fs-images/layout.js';
import { containerArgv } from '../../../lib/fs-images/container.js';
import { mkfsFromFolderArgv } from '../../../lib/fs-images/image.js';

const MiB = 1024 * 1024;
const fragment = readFileSync(join(import.meta.dirname, '../../../flavours/provision/init.d/75-provision-images'), 'utf8');

/** The awk program the provision ramdisk reads the metadata with, run by busybox. */
function ramdiskImages(yaml: string): string[] {
  const program = /awk '\n([\s\S]*?)' "\$work\/metadata\.yaml"/.exec(fragment)?.[1];
  expect(program).toBeDefined();
  return execFileSync('busybox', ['awk', program!], { input: yaml }).toString().trim().split('\n');
}

const filesystems = planFilesystems([
  { mountPoint: '/', format: 'ext4', container: 'gzip', path: '/out/root.img.gz' },
  { mountPoint: '/boot', format: 'ext2', container: 'zstd', path: '/out/boot.img.zst' },
  { mountPoint: '/var/lib/docker', format: 'xfs', container: 'raw', path: '/out/docker.img' },
], undefined, seededRandom(1));

function sampleText(): string {
  const facts = (n: number) => ({ rawSize: n * MiB, rawMd5: `0${n}`.repeat(16).slice(0, 32), containerSize: n * 1000, containerMd5: '1234567890'.repeat(4).slice(0, 32), containerSha256: 'ab'.repeat(32) });
  return metadataText({
    os: { name: 'debian', codename: 'bookworm', arch: 'amd64' },
    packages: ['vim'],
    all_packages: { vim: '2:9.0.1378-2', 'libc6': '2.36-9+deb12u4' },
    repos: [{ type: 'deb', name: 'debian', uri: 'http://deb.debian.org/debian', suite: 'bookworm', section: 'main', priority: 1001, meta: null }],
    images: filesystems.map((fs, i) => imageRecord(fs, fs.path.split('/').pop()!, facts(i + 1))),
    kiln: { inputs: 'k' },
  });
}

describe('the metadata file', () => {
  it('has Fuel\'s keys for each image, and kiln\'s', () => {
    const doc = parse(sampleText());
    expect(Object.keys(doc)).toEqual(['os', 'packages', 'all_packages', 'repos', 'images', 'kiln']);
    expect(doc.images[1]).toMatchObject({
      raw_size: 2 * MiB, raw_name: null, container_name: 'boot.img.zst', container_size: 2000, container: 'zstd', format: 'ext2', mount: '/boot', label: 'boot',
    });
    expect(doc.repos[0]).toEqual({ type: 'deb', name: 'debian', uri: 'http://deb.debian.org/debian', suite: 'bookworm', section: 'main', priority: 1001, meta: null });
    expect(readMetadata(sampleText())).toEqual({ inputs: 'k', images: filesystems.map((fs, i) => ({ container_name: fs.path.split('/').pop(), container_size: (i + 1) * 1000, mount: fs.mountPoint })) });
  });

  it('is read back by the provision ramdisk\'s awk (busybox), every image with its sizes and MD5s', () => {
    const doc = parse(sampleText());
    expect(ramdiskImages(sampleText())).toEqual(doc.images.map((i: Record<string, unknown>) =>
      [i.mount, i.format, i.container, i.container_name, i.raw_size, i.raw_md5, i.container_size, i.container_md5].join('|')));
  });

  it('lists installed packages (not removed ones) with their versions, from dpkg\'s status', () => {
    const status = [
      'Package: vim\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2:9.0.1378-2\n',
      'Package: nano\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 7.2-1\n',
      'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 2.36-9+deb12u4\n',
    ].join('\n');
    expect(installedPackages(status)).toEqual({ libc6: '2.36-9+deb12u4', vim: '2:9.0.1378-2' });
  });
});

describe('the filesystems of a per-mount-point build', () => {
  it('split deepest first, labelled after their mount point', () => {
    expect(splitOrder(filesystems).map((f) => f.mountPoint)).toEqual(['/var/lib/docker', '/boot', '/']);
    expect(filesystems.map((f) => f.label)).toEqual(['cloudimg-rootfs', 'boot', 'docker']);
    expect(filesystemLabel({ mountPoint: '/', format: 'xfs', container: 'raw', path: '' }, undefined)).toBe('img-rootfs');
    expect(filesystemLabel({ mountPoint: '/srv/a-very-long-name-here', format: 'ext4', container: 'raw', path: '' }, undefined)).toBe('a-very-long-name');
  });

  it('are made big enough, then shrunk to what they use plus a twentieth and 16 MiB (never below resize2fs\'s minimum)', () => {
    expect(initialImageBytes(100 * MiB, 'ext4')).toBe(189 * MiB);
    expect(initialImageBytes(10 * MiB, 'xfs')).toBe(300 * MiB);
    expect(shrunkImageBytes(25600, 20000, 4096)).toBe(121 * MiB);
    expect(shrunkImageBytes(25600, 40000, 4096)).toBe(157 * MiB);
  });

  it('are filled by mke2fs -d with the planned UUID, label and root owner', () => {
    const [root] = filesystems;
    expect(mkfsFromFolderArgv(root!, '/w/root', '/w/img', { mode: 0o40755, uid: 0, gid: 0 })).toEqual([
      'mkfs.ext4', '-q', '-F', '-b', '4096', '-T', 'default', '-U', root!.uuid, '-L', 'cloudimg-rootfs', '-E', 'root_owner=0:0', '-d', '/w/root', '/w/img',
    ]);
  });

  it('go into reproducible containers', () => {
    expect(containerArgv('gzip', '/w/img', true)).toEqual(['pigz', '-c', '-n', '-6', '/w/img']);
    expect(containerArgv('gzip', '/w/img', false)).toEqual(['gzip', '-c', '-n', '-6', '/w/img']);
    expect(containerArgv('zstd', '/w/img', true)).toEqual(['zstd', '-c', '-q', '-T0', '-3', '/w/img']);
  });
});
