// Helpers for checking disk images in end-to-end tests: partitions, and fsck of each filesystem
// on a sparse copy of its partition. Copies rather than loop devices with an offset: a loop
// device that is read before its offset is set shows the disk's first sector, and blkid's cache
// can name a filesystem the device no longer holds; a plain file has neither problem.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One partition as sfdisk reports it (start and size in 512-byte sectors). */
export interface Partition {
  node: string;
  start: number;
  size: number;
  type: string;
}

/** Partitions of a raw image as sfdisk reports them. */
export function partitions(raw: string): Partition[] {
  const table = JSON.parse(execFileSync('sfdisk', ['-J', raw]).toString()) as { partitiontable: { partitions: Partition[] } };
  return table.partitiontable.partitions;
}

/** Runs body on a sparse copy of one partition, removed afterwards. */
function withPartitionCopy<T>(raw: string, part: Partition, body: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-fsck-'));
  const file = join(dir, 'partition');
  try {
    execFileSync('dd', [`if=${raw}`, `of=${file}`, 'bs=4M', `skip=${part.start * 512}`, `count=${part.size * 512}`, 'iflag=skip_bytes,count_bytes', 'conv=sparse', 'status=none']);
    return body(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Filesystem type found by probing (never the blkid cache), or '' for none. */
function probeType(file: string): string {
  try {
    return execFileSync('blkid', ['-p', '-o', 'value', '-s', 'TYPE', file]).toString().trim();
  } catch {
    return '';
  }
}

/** Runs a read-only fsck on every partition that holds a filesystem; returns `type: ok` lines. */
export function fsckAll(raw: string): string[] {
  // A BIOS boot partition holds grub's core.img, which blkid can mistake for a FAT boot sector.
  const biosBoot = '21686148-6449-6E6F-744E-656564454649';
  return partitions(raw).filter((p) => p.type !== biosBoot).flatMap((p) =>
    withPartitionCopy(raw, p, (file) => {
      const type = probeType(file);
      if (!type || type === 'swap') return [];
      const fsck = type === 'vfat' ? ['fsck.vfat', '-n', file] : type.startsWith('ext') ? ['e2fsck', '-f', '-n', file] : ['fsck', '-n', file];
      execFileSync(fsck[0]!, fsck.slice(1), { stdio: 'pipe' });
      return [`${type}: ok`];
    }),
  );
}
