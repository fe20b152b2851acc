// Reproducible ext2/3/4 filesystems. A filesystem the kernel has mounted and written is not
// reproducible: block placement follows per-CPU allocation and writeback timing, and the
// superblock, journal and every inode carry the build's clock. So when the image is finished,
// kiln makes each ext filesystem again from its own content with `mke2fs -d` (no kernel in the
// way): the same UUID and directory hash seed, e2fsprogs' clock set to SOURCE_DATE_EPOCH
// (E2FSPROGS_FAKE_TIME), entries read in the order the hash seed gives, and every time stamp
// mke2fs copies from the source that is not a modification time (access and change times, which
// are the build's clock) set to SOURCE_DATE_EPOCH with debugfs. The new filesystem replaces the
// old one in the disk image once the disk is detached.
import { join } from 'node:path';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { mount, unmount } from '../resources/mount.js';
import { makeRootDir } from '../resources/root-files.js';
import { removeTree } from '../resources/remove-tree.js';

/** Inode numbers in use, from `dumpe2fs` output: every inode not in a group's free ranges. */
export function usedInodes(dumpe2fs: string): number[] {
  const count = Number(/^Inode count:\s+(\d+)/m.exec(dumpe2fs)?.[1] ?? NaN);
  if (!Number.isInteger(count)) throw new Error('dumpe2fs output has no "Inode count"');
  const free = new Uint8Array(count + 1);
  for (const match of dumpe2fs.matchAll(/^\s+Free inodes: (.*)$/gm)) {
    for (const range of match[1]!.split(',').map((r) => r.trim()).filter(Boolean)) {
      const [from, to = from] = range.split('-').map(Number) as [number, number?];
      for (let i = from; i <= to && i <= count; i++) free[i] = 1;
    }
  }
  const used: number[] = [];
  for (let i = 1; i <= count; i++) if (!free[i]) used.push(i);
  return used;
}

/** First inode number that holds a file (ext's reserved inodes 1-10 are its own; 2 is the root). */
const FIRST_FILE_INODE = 11;
const ROOT_INODE = 2;

/** debugfs requests setting the access and change times of `inodes` to `epoch` (the root folder and every file). */
export function timeFixScript(inodes: readonly number[], epoch: number): string {
  const lines: string[] = [];
  for (const inode of inodes) {
    if (inode !== ROOT_INODE && inode < FIRST_FILE_INODE) continue;
    lines.push(`set_inode_field <${inode}> atime @${epoch}`, `set_inode_field <${inode}> ctime @${epoch}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What rebuilding one filesystem needs. */
export interface ExtRebuild {
  /** Where the filesystem is mounted now (its content is read from a bind mount of it). */
  mountPath: string;
  /** The mkfs argv of the layout (UUID, label, hash seed, options), without a device. */
  mkfs: readonly string[];
  /** Size of the partition (or disk) the filesystem fills. */
  bytes: number;
  /** A work folder for the new filesystem's file. */
  workDir: string;
  /** File name stem (the mkfs node name). */
  name: string;
  epoch: number;
  log?: LogSink | undefined;
  signal?: AbortSignal | undefined;
}

/** Makes the filesystem mounted at `mountPath` again, reproducibly, into a file; returns its path. */
export async function rebuildExtFilesystem(stack: ResourceStack, request: ExtRebuild): Promise<string> {
  const { log, signal, epoch } = request;
  const file = join(request.workDir, `${request.name}.ext-rebuild`);
  const source = join(request.workDir, `${request.name}.ext-source`);
  stack.defer(`remove ${file}`, () => removeTree(file, log));
  await run(['truncate', `--size=${request.bytes}`, file], { log });
  await makeRootDir(source, log);
  {
    // Non-recursive bind: only this filesystem's own content, not what is mounted inside it.
    await using view = new ResourceStack();
    await mount(view, { source: request.mountPath, target: source, bind: true, log });
    await run([...request.mkfs, '-d', source, file], {
      privileged: true, log, signal, env: { E2FSPROGS_FAKE_TIME: String(epoch) },
      what: `rebuilding the ${request.name} filesystem from ${request.mountPath}`,
    });
    await unmount(source, log);
  }
  await removeTree(source, log);
  const dump = await run(['dumpe2fs', file], { log: undefined, signal, what: `reading the inode bitmaps of ${file}` });
  // debugfs echoes every request: tens of thousands of lines the build log does not need.
  await run(['debugfs', '-w', '-f', '-', file], {
    input: timeFixScript(usedInodes(dump.stdout), epoch), signal, env: { E2FSPROGS_FAKE_TIME: String(epoch) },
    what: `setting the access and change times of ${file} to SOURCE_DATE_EPOCH`,
  });
  return file;
}

/** argv of `dd` writing a filesystem file into the disk image at `offset`, leaving holes for zeros. */
export function writeIntoArgv(file: string, image: string, offset: number): string[] {
  return ['dd', `if=${file}`, `of=${image}`, 'bs=1M', `seek=${offset}`, 'oflag=seek_bytes', 'conv=notrunc,sparse', 'status=none'];
}

/** Replaces `bytes` at `offset` of the (detached) disk image with the filesystem in `file`. */
export async function writeFilesystemInto(file: string, image: string, offset: number, bytes: number, log?: LogSink): Promise<void> {
  // Holes first: dd's sparse mode skips zero blocks, which must not keep the old filesystem's data.
  await run(['fallocate', '--punch-hole', `--offset=${offset}`, `--length=${bytes}`, image], { log, what: `clearing ${image} at ${offset}` });
  await run(writeIntoArgv(file, image, offset), { log, what: `writing ${file} into ${image}` });
}
