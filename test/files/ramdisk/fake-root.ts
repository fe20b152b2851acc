// A small but real image root for ramdisk tests without a Debian bootstrap: this machine's static
// busybox and its sha256sum with the libraries `ldd` names (an oracle independent of kiln's own
// ELF reading), a fake kernel, and a module tree with real ELF modules, one xz-compressed, one
// naming a firmware file.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseElf } from '../../../lib/ramdisk/elf.js';
import { buildElf } from '../../unit/ramdisk/elf-builder.js';

export const KERNEL_VERSION = '6.1.0-1-amd64';

/** Host busybox, if it is a static one (what the ramdisk flavour installs). */
export function hostStaticBusybox(): string | undefined {
  for (const path of ['/usr/bin/busybox', '/bin/busybox']) {
    if (existsSync(path) && parseElf(readFileSync(path))?.interpreter === undefined) return path;
  }
  return undefined;
}

function put(root: string, path: string, data: string | Buffer, mode = 0o644): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), data, { mode });
}

/** Copies a host file to the same resolved path in the root, recreating the host's link on the way. */
function copyHostFile(root: string, path: string): void {
  let current = path;
  for (let i = 0; i < 10 && lstatSync(current).isSymbolicLink(); i++) {
    const target = readlinkSync(current);
    const at = join(root, realpathSync(dirname(current)), current.split('/').pop()!);
    mkdirSync(dirname(at), { recursive: true });
    if (!existsSync(at)) symlinkSync(target, at);
    current = target.startsWith('/') ? target : join(dirname(current), target);
  }
  const real = realpathSync(path);
  mkdirSync(dirname(join(root, real)), { recursive: true });
  copyFileSync(real, join(root, real));
}

/** The libraries `ldd` lists for a host program (as printed: may go through links). */
export function lddPaths(program: string): string[] {
  return execFileSync('ldd', [program]).toString().split('\n').flatMap((line) => {
    const match = /=>\s+(\/\S+)|^\s*(\/\S+)\s+\(/.exec(line);
    const path = match?.[1] ?? match?.[2];
    return path ? [path] : [];
  });
}

/** Builds the root in `root` (an empty folder). */
export function makeFakeRoot(root: string, busybox: string): void {
  for (const [name, target] of [['bin', 'usr/bin'], ['sbin', 'usr/sbin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64']]) {
    mkdirSync(join(root, target!), { recursive: true });
    symlinkSync(target!, join(root, name));
  }
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  copyFileSync(busybox, join(root, 'usr/bin/busybox'));
  copyFileSync('/usr/bin/sha256sum', join(root, 'usr/bin/sha256sum'));
  for (const lib of lddPaths('/usr/bin/sha256sum')) copyHostFile(root, lib);
  for (const conf of ['/etc/ld.so.conf', '/etc/ld.so.conf.d/x86_64-linux-gnu.conf', '/etc/ld.so.conf.d/libc.conf']) {
    if (existsSync(conf)) put(root, conf, execFileSync('cat', [conf]));
  }
  put(root, `/boot/vmlinuz-${KERNEL_VERSION}`, Buffer.from(`fake kernel ${KERNEL_VERSION}\n`), 0o600);
  put(root, '/boot/vmlinuz-5.10.0-9-amd64', 'older kernel', 0o600);
  makeModules(root);
}

function makeModules(root: string): void {
  const dir = `/usr/lib/modules/${KERNEL_VERSION}`;
  put(root, `${dir}/kernel/drivers/virtio/virtio.ko`, buildElf({ modinfo: ['license=GPL', 'name=virtio'] }));
  put(root, `${dir}/kernel/drivers/block/virtio_blk.ko`, buildElf({ modinfo: ['license=GPL', 'firmware=kiln-test/blk.bin', 'firmware=kiln-test/absent.bin', 'depends=virtio'] }));
  put(root, `${dir}/kernel/fs/ext4/ext4.ko`, buildElf({ modinfo: ['license=GPL', 'name=ext4'] }));
  execFileSync('xz', ['--check=crc32', join(root, dir, 'kernel/fs/ext4/ext4.ko')]);
  put(root, `${dir}/kernel/drivers/unused/unused.ko`, buildElf({ modinfo: ['license=GPL'] }));
  put(root, `${dir}/modules.dep`, [
    'kernel/drivers/virtio/virtio.ko:',
    'kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko',
    'kernel/fs/ext4/ext4.ko.xz:',
    'kernel/drivers/unused/unused.ko:',
    '',
  ].join('\n'));
  put(root, `${dir}/modules.builtin`, 'kernel/drivers/ata/ahci.ko\n');
  put(root, `${dir}/modules.order`, 'kernel/drivers/virtio/virtio.ko\nkernel/drivers/block/virtio_blk.ko\nkernel/fs/ext4/ext4.ko\n');
  put(root, '/usr/lib/firmware/kiln-test/blk.bin', 'firmware blob');
}
