// What a file is, from its first bytes: a qcow2 image, a raw disk with a partition table, a bare
// filesystem (ext2/3/4, XFS, btrfs), a (compressed) tarball, or none of these. Pure: works on the
// first HEAD_BYTES of the file (btrfs keeps its superblock at 64 KiB).

/** Bytes to read from the start of a file (or partition) for detection. */
export const HEAD_BYTES = 64 * 1024 + 4096;

/** Filesystems kiln can mount read-only to read an image. */
export type FilesystemType = 'ext4' | 'xfs' | 'btrfs';

/** What a file holds. */
export type ImageKind =
  | { kind: 'qcow2' }
  | { kind: 'partitioned'; table: 'gpt' | 'dos' }
  | { kind: 'filesystem'; fstype: FilesystemType }
  | { kind: 'tarball'; compression: 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2' }
  | { kind: 'unknown' };

/** The filesystem whose superblock starts `head` (bytes from the start of a partition), if any. */
export function filesystemAt(head: Buffer): FilesystemType | undefined {
  if (head.length >= 1024 + 58 && head.readUInt16LE(1024 + 56) === 0xef53) return 'ext4';
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'XFSB') return 'xfs';
  if (head.length >= 0x10048 && head.toString('latin1', 0x10040, 0x10048) === '_BHRfS_M') return 'btrfs';
  return undefined;
}

function compressionOf(head: Buffer): 'gzip' | 'zstd' | 'xz' | 'bzip2' | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 6 && head.toString('latin1', 1, 6) === '7zXZ\0') return 'xz';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  return undefined;
}

/** Classifies a file from its first bytes. */
export function detectImage(head: Buffer): ImageKind {
  if (head.length >= 4 && head.toString('latin1', 0, 4) === 'QFI\xfb') return { kind: 'qcow2' };
  if (head.length >= 520 && head.toString('latin1', 512, 520) === 'EFI PART') return { kind: 'partitioned', table: 'gpt' };
  const fstype = filesystemAt(head);
  if (fstype) return { kind: 'filesystem', fstype };
  if (head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa) return { kind: 'partitioned', table: 'dos' };
  const compression = compressionOf(head);
  if (compression) return { kind: 'tarball', compression };
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return { kind: 'tarball', compression: 'none' };
  return { kind: 'unknown' };
}
