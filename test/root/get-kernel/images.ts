// Tiny disk images for the image-reading tests, made without root: sfdisk on a file, then
// `mkfs.ext4 -E offset=... -d TREE` straight into a partition, and qemu-img for qcow2.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** File contents of a tree, by relative path; mode 0600 for paths in `private`. */
export function writeTree(dir: string, files: Record<string, string>, privateFiles: string[] = []): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
    if (privateFiles.includes(path)) chmodSync(join(dir, path), 0o600);
  }
  mkdirSync(dir, { recursive: true });
}

/** A Debian-like root with two kernels (the newer one is what must come out). */
export const DEBIAN_TREE: Record<string, string> = {
  'boot/vmlinuz-6.1.0-1-amd64': 'kernel 6.1.0-1\n',
  'boot/initrd.img-6.1.0-1-amd64': 'initrd 6.1.0-1\n',
  'boot/vmlinuz-5.10.0-9-amd64': 'kernel 5.10.0-9\n',
  'boot/initrd.img-5.10.0-9-amd64': 'initrd 5.10.0-9\n',
  'boot/config-6.1.0-1-amd64': 'CONFIG_X=y\n',
  'etc/os-release': 'ID=debian\n',
  'etc/hostname': 'tiny\n',
};

/** Writes an empty image of `mib` MiB with the sfdisk `script`; returns partition starts in bytes. */
export function partitionedImage(path: string, mib: number, script: string): number[] {
  execFileSync('truncate', ['-s', `${mib}M`, path]);
  execFileSync('sfdisk', ['--quiet', path], { input: script });
  const table = JSON.parse(execFileSync('sfdisk', ['--json', path]).toString()) as { partitiontable: { partitions: { start: number; size: number }[] } };
  return table.partitiontable.partitions.map((p) => p.start * 512);
}

/** Makes an ext4 filesystem of `kib` KiB from `tree` at `offset` bytes of `path`. */
export function ext4At(path: string, offset: number, kib: number, tree: string): void {
  execFileSync('mkfs.ext4', ['-q', '-F', '-E', `offset=${offset}`, '-d', tree, path, `${kib}k`]);
}

/** GPT image like kiln's EFI layout: BIOS boot, ESP (left empty), root ext4 from `tree`. */
export function gptImage(path: string, tree: string): void {
  const starts = partitionedImage(path, 64, [
    'label: gpt',
    'size=1MiB, type=21686148-6449-6E6F-744E-656564454649',
    'size=8MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
    'type=0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  ].join('\n'));
  ext4At(path, starts[2]!, 40 * 1024, tree);
}

/** Converts a raw image to qcow2. */
export function toQcow2(raw: string, qcow2: string): void {
  execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
}

/** What image reading could leak: loop devices over files in `dir` or kiln's raw conversions,
 * mounts on kiln's image mount points, and kiln's temp folders, all in this test run's TMPDIR:
 * other test runs on the same machine (their own TMPDIR) do not disturb it. */
export function imageReadState(dir: string): { loops: string[]; mounts: string[]; temps: string[] } {
  const scope = realpathSync(tmpdir());
  const mine = (path: string): boolean => path.startsWith(`${scope}/`) || path.startsWith(dir);
  let loops: string[] = [];
  try {
    loops = execFileSync('losetup', ['-a', '-n', '-O', 'NAME,BACK-FILE']).toString().split('\n')
      .filter((l) => l.includes(dir) || (l.includes('kiln-image-read.') && mine(l.trim().split(/\s+/)[1] ?? ''))).sort();
  } catch {
    loops = [];
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
    .filter((m) => (m.includes('kiln-image-mount.') && mine(m)) || m.startsWith(dir)).sort();
  const temps = readdirSync(tmpdir()).filter((n) => n.startsWith('kiln-image-')).sort();
  return { loops, mounts, temps };
}
