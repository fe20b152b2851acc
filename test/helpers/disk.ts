// Helpers for checking disk images in end-to-end tests: partitions, fsck of each filesystem
// through a read-only loop device with an offset (no partition scanning needed).
import { execFileSync } from 'node:child_process';

/** Partitions of a raw image as sfdisk reports them. */
export function partitions(raw: string): { node: string; start: number; size: number; type: string }[] {
  const table = JSON.parse(execFileSync('sfdisk', ['-J', raw]).toString()) as { partitiontable: { partitions: { node: string; start: number; size: number; type: string }[] } };
  return table.partitiontable.partitions;
}

/** Filesystem type of a partition (blkid on a read-only loop), or '' for none. */
function withLoop<T>(raw: string, start: number, size: number, body: (device: string) => T): T {
  const device = execFileSync('losetup', ['--show', '-f', '-r', '-o', String(start * 512), '--sizelimit', String(size * 512), raw]).toString().trim();
  try {
    return body(device);
  } finally {
    execFileSync('losetup', ['-d', device]);
  }
}

/** Runs `fsck -n` on every partition that holds a filesystem; returns `type: ok` lines. */
export function fsckAll(raw: string): string[] {
  // A BIOS boot partition holds grub's core.img, which blkid can mistake for a FAT boot sector.
  const biosBoot = '21686148-6449-6E6F-744E-656564454649';
  return partitions(raw).filter((p) => p.type !== biosBoot).flatMap((p) =>
    withLoop(raw, p.start, p.size, (device) => {
      let type = '';
      try {
        type = execFileSync('blkid', ['-o', 'value', '-s', 'TYPE', device]).toString().trim();
      } catch {
        return [];
      }
      if (!type || type === 'swap') return [];
      const fsck = type === 'vfat' ? ['fsck.vfat', '-n', device] : type.startsWith('ext') ? ['e2fsck', '-f', '-n', device] : ['fsck', '-n', device];
      execFileSync(fsck[0]!, fsck.slice(1), { stdio: 'pipe' });
      return [`${type}: ok`];
    }),
  );
}
