// Per-mount-point filesystem images of a root-owned tree, without a build: the tree is split by
// mount point (nested ones included), each part becomes an ext2/ext3/ext4 image (mke2fs -d,
// shrunk) or an xfs one, in a gzip, zstd or raw container. Each image passes fsck, has the UUID,
// label and format planned, and mounted back together they give exactly the tree that was split:
// owners, modes (the 1777 of /tmp on its own filesystem's root), hard links, symlinks, sparse
// files, device nodes, xattrs. Leaves no mount, loop device or temp file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../../lib/block-device/random.js';
import type { FilesystemImageRequest } from '../../../lib/config/build-request.js';
import { folderBytes, splitTree } from '../../../lib/engine/steps/filesystem-images.js';
import { nullLog } from '../../../lib/log.js';
import { writeContainer } from '../../../lib/fs-images/container.js';
import { makeFilesystemImage } from '../../../lib/fs-images/image.js';
import { imagesFstab, mountOrder, planFilesystems } from '../../../lib/fs-images/layout.js';
import { ResourceStack } from '../../../lib/resources/disposable-stack.js';
import { attachLoop } from '../../../lib/resources/loop-device.js';
import { mount } from '../../../lib/resources/mount.js';
import { hostState, isRoot } from '../../helpers/host.js';
import { treeManifest } from '../../helpers/tree-manifest.js';

const sh = (script: string, cwd: string): string => execFileSync('bash', ['-euc', script], { cwd }).toString();

/** The tree's manifest without directories' link counts (a filesystem root has lost+found
 * besides), times to the second (mke2fs -d keeps no fractions of a second). */
const manifest = (root: string): string[] =>
  treeManifest(root, { skipDirTimes: true })
    .filter((line) => !/^(.*\/)?lost\+found(\t|\/)/.test(line))
    .map((line) => {
      const fields = line.split('\t');
      if (fields[1] === 'd') fields[4] = '-';
      if (fields[6]) fields[6] = fields[6].replace(/\.\d+$/, '');
      return fields.join('\t');
    });

function makeTree(root: string): void {
  sh(`
    mkdir -p boot/grub etc usr/bin var/lib/app var/log/app tmp home/user
    echo kernel > boot/vmlinuz-6.1 && echo initrd > boot/initrd.img-6.1 && echo cfg > boot/grub/grub.cfg
    echo 'root:*:19000:0:99999:7:::' > etc/shadow && chown 0:42 etc/shadow && chmod 0640 etc/shadow
    setfattr -n user.kiln.note -v kept etc/shadow
    cp /bin/true usr/bin/ping && setcap cap_net_raw+ep usr/bin/ping
    echo shared > usr/bin/busybox && ln usr/bin/busybox usr/bin/sh-link && ln -s busybox usr/bin/vi
    truncate -s 40M var/lib/app/sparse && echo end >> var/lib/app/sparse
    mknod -m 666 var/lib/app/null c 1 3
    echo line > var/log/app/log && chown 1000:1000 var/log/app && ln -s ../../../etc/shadow var/log/app/link
    chmod 1777 tmp && touch tmp/.keep && chmod 0755 var/log
    chown 1000:1000 home/user && chmod 0700 home/user
  `, root);
}

const IMAGES: FilesystemImageRequest[] = [
  { mountPoint: '/', format: 'ext4', container: 'gzip', path: '' },
  { mountPoint: '/boot', format: 'ext2', container: 'zstd', path: '' },
  { mountPoint: '/var', format: 'xfs', container: 'raw', path: '' },
  { mountPoint: '/var/log', format: 'ext3', container: 'gzip', path: '' },
  { mountPoint: '/tmp', format: 'ext4', container: 'raw', path: '' },
];

describe.runIf(isRoot)('per-mount-point filesystem images of a root-owned tree', () => {
  let dir: string;
  let before: string[];
  const raws = new Map<string, string>();
  const filesystems = () => planFilesystems(IMAGES.map((i) => ({ ...i, path: join(dir, 'out', `${i.mountPoint.replace(/\//g, '_')}.img.${i.container}`) })), undefined, seededRandom(7));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-fs-images-'));
    mkdirSync(join(dir, 'root'));
    makeTree(join(dir, 'root'));
    before = manifest(join(dir, 'root'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('splits the tree, makes each image and its container; each passes fsck with its UUID and label', async () => {
    const host = hostState();
    const planned = filesystems();
    const parts = await splitTree(join(dir, 'root'), join(dir, 'parts'), planned, nullLog);
    expect(sh('find boot var tmp -mindepth 1 | wc -l', join(dir, 'root')).trim()).toBe('0');
    for (const [index, fs] of planned.entries()) {
      const { folder, owner } = parts.get(fs.mountPoint)!;
      const image = join(dir, `image-${index}.raw`);
      const scratch = join(dir, `scratch-${index}`);
      await makeFilesystemImage({ fs, folder, owner, contentBytes: await folderBytes(folder, nullLog), image, scratch, log: nullLog });
      const facts = await writeContainer(image, fs.path, fs.container, nullLog);
      const raw = join(dir, `check-${index}.raw`);
      const unpack = { gzip: 'gzip -dc', zstd: 'zstd -dcq', raw: 'cat' }[fs.container];
      execFileSync('sh', ['-c', `${unpack} "$1" > "$2"`, 'sh', fs.path, raw]);
      expect(statSync(raw).size).toBe(facts.rawSize);
      expect(execFileSync('md5sum', [raw]).toString().slice(0, 32)).toBe(facts.rawMd5);
      expect(statSync(fs.path).size).toBe(facts.containerSize);
      execFileSync(fs.format === 'xfs' ? 'xfs_repair' : 'e2fsck', fs.format === 'xfs' ? ['-n', raw] : ['-f', '-n', raw], { stdio: 'ignore' });
      const blkid = execFileSync('blkid', ['-p', '-o', 'export', raw]).toString();
      expect(blkid).toContain(`TYPE=${fs.format}\n`);
      expect(blkid).toContain(`UUID=${fs.uuid}\n`);
      expect(blkid).toContain(`LABEL=${fs.label}\n`);
      raws.set(fs.mountPoint, raw);
    }
    expect(hostState()).toEqual(host);
  });

  it('ext images are shrunk to their content plus headroom: a twentieth and 16 MiB', () => {
    for (const mount of ['/', '/boot', '/var/log', '/tmp']) {
      const header = execFileSync('dumpe2fs', ['-h', raws.get(mount)!], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
      const field = (name: string): number => 4096 * Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(header)?.[1]);
      const used = field('Block count') - field('Free blocks');
      expect(field('Block count'), mount).toBe(statSync(raws.get(mount)!).size);
      expect(field('Free blocks'), mount).toBeGreaterThanOrEqual(15 * 1024 * 1024);
      expect(field('Block count'), mount).toBeLessThanOrEqual(used * 1.05 + 18 * 1024 * 1024);
    }
  });

  it('mounted back together, the images hold exactly the tree that was split', async () => {
    const target = join(dir, 'mnt');
    mkdirSync(target);
    await using stack = new ResourceStack();
    for (const fs of mountOrder(filesystems())) {
      const device = await attachLoop(stack, raws.get(fs.mountPoint)!, { log: nullLog });
      await mount(stack, { source: device, target: fs.mountPoint === '/' ? target : join(target, fs.mountPoint), fstype: fs.format, options: ['ro'], log: nullLog });
    }
    expect(manifest(target)).toEqual(before);
    expect((statSync(join(target, 'tmp')).mode & 0o7777).toString(8)).toBe('1777');
  });

  it('fstab mounts every filesystem by UUID, parents first, root checked first', () => {
    const planned = filesystems();
    const uuid = (m: string): string => planned.find((f) => f.mountPoint === m)!.uuid;
    expect(imagesFstab(planned).split('\n').slice(1)).toEqual([
      `UUID=${uuid('/')} / ext4 defaults,errors=remount-ro 0 1`,
      `UUID=${uuid('/boot')} /boot ext2 defaults 0 2`,
      `UUID=${uuid('/tmp')} /tmp ext4 defaults 0 2`,
      `UUID=${uuid('/var')} /var xfs defaults 0 0`,
      `UUID=${uuid('/var/log')} /var/log ext3 defaults 0 2`,
      '',
    ]);
  });
});
