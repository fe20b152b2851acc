// FAT filesystems (the EFI system partition) cannot be mounted where the kernel has no vfat
// driver, so kiln stages them: while the image is built, the mount point is a plain folder in
// its parent filesystem; everything put there (by the tree copy, by grub-install in finalise.d)
// is copied into the FAT filesystem with mtools when the disk is closed, and the folder is
// emptied so that it is only a mount point again in the finished image.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';

/** Copies the contents of `folder` into the root of the FAT filesystem on `device`. */
export async function copyIntoFat(device: string, folder: string, options: { log?: LogSink | undefined; signal?: AbortSignal | undefined } = {}): Promise<void> {
  const entries = readdirSync(folder).sort();
  if (!entries.length) return;
  // -s recursive, -p keep attributes, -m keep times, -Q stop at the first error, -D o replace
  // clashing names instead of asking (there is no terminal).
  await run(['mcopy', '-i', device, '-s', '-p', '-m', '-Q', '-D', 'o', ...entries.map((e) => join(folder, e)), '::/'], {
    privileged: true, log: options.log, signal: options.signal,
    what: `copying ${folder} into the vfat filesystem on ${device}`,
    hint: 'if the vfat filesystem is full, make its partition bigger in the block-device config',
  });
}

/** Removes everything inside `folder`, keeping the folder (the mount point). */
export async function emptyFolder(folder: string, options: { log?: LogSink | undefined } = {}): Promise<void> {
  const entries = readdirSync(folder);
  if (!entries.length) return;
  await run(['rm', '-rf', '--one-file-system', '--', ...entries.map((e) => join(folder, e))], {
    privileged: true, log: options.log, what: `emptying the staged folder ${folder}`,
  });
}
