// One filesystem image made from a folder of the split tree. ext2/3/4 without any mount or loop
// device: `mke2fs -d` fills a file from the folder, then resize2fs shrinks it to its content
// plus headroom, and the filesystem root takes the folder's mode and owner (mke2fs gives it
// 0755 root). xfs cannot be filled from a folder by Debian 12's mkfs.xfs (a proto file cannot
// carry hard links and extended attributes) nor shrunk, so it is the one case for a loop device:
// made at its final size, mounted, filled with cp -a, unmounted.
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { attachLoop } from '../resources/loop-device.js';
import { mount } from '../resources/mount.js';
import { makeRootDir } from '../resources/root-files.js';
import { initialImageBytes, shrunkImageBytes, type PlannedFilesystem } from './layout.js';

/** The folder's own mode and owner, which the filesystem's root gets. */
export interface FolderOwner {
  mode: number;
  uid: number;
  gid: number;
}

/** What to make. */
export interface FsImageJob {
  fs: PlannedFilesystem;
  /** The folder with the filesystem's content (root-owned). */
  folder: string;
  owner: FolderOwner;
  /** Bytes the folder holds (du). */
  contentBytes: number;
  /** The raw image file to write (created here). */
  image: string;
  /** A scratch folder (xfs mounts there). */
  scratch: string;
  log: LogSink;
  signal?: AbortSignal;
}

const BLOCK_SIZE = 4096;
const TRIES = 3;

async function sizeFile(path: string, bytes: number): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.truncate(bytes);
  } finally {
    await handle.close();
  }
}

/** mke2fs argv that fills `image` from `folder` (pure). */
export function mkfsFromFolderArgv(fs: PlannedFilesystem, folder: string, image: string, owner: FolderOwner): string[] {
  return [`mkfs.${fs.format}`, '-q', '-F', '-b', String(BLOCK_SIZE), '-T', 'default', '-U', fs.uuid, '-L', fs.label,
    '-E', `root_owner=${owner.uid}:${owner.gid}`, '-d', folder, image];
}

/** Blocks an ext image uses (dumpe2fs) and the fewest it can be shrunk to (resize2fs -P). */
async function measureExt(job: FsImageJob): Promise<[used: number, minimum: number]> {
  const { fs, log, signal } = job;
  const what = `measuring the ${fs.mountPoint} filesystem`;
  const header = (await run(['dumpe2fs', '-h', job.image], { log, signal, what })).stdout;
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(header)?.[1]);
  const estimate = await run(['resize2fs', '-P', job.image], { log, signal, what });
  const used = field('Block count') - field('Free blocks');
  const minimum = Number(/minimum size of the filesystem:\s*(\d+)/.exec(estimate.stdout)?.[1]);
  if (!(used > 0) || !(minimum > 0)) throw new KilnError(`cannot measure the ${fs.mountPoint} image (dumpe2fs, resize2fs -P): ${estimate.stdout.trim()}`);
  return [used, minimum];
}

/** Makes the image of an ext filesystem; returns its size in bytes. */
async function makeExtImage(job: FsImageJob): Promise<number> {
  const { fs, log, signal } = job;
  let bytes = initialImageBytes(job.contentBytes, fs.format);
  for (let attempt = 1; ; attempt++) {
    await sizeFile(job.image, bytes);
    const result = await run(mkfsFromFolderArgv(fs, job.folder, job.image, job.owner), {
      privileged: true, log, signal, allowFailure: attempt < TRIES, what: `filling the ${fs.format} image of ${fs.mountPoint}`,
    });
    if (result.exitCode === 0) break;
    // mke2fs -d stops with "Could not allocate block" when the guess was too small.
    log.line('kiln', `the ${fs.mountPoint} image needs more than ${bytes} bytes; trying again larger`);
    bytes = Math.ceil((bytes * 1.6) / (1024 * 1024)) * 1024 * 1024;
  }
  const target = shrunkImageBytes(...(await measureExt(job)), BLOCK_SIZE);
  if (target < bytes) {
    await run(['resize2fs', job.image, `${target / 1024}K`], { log, signal, what: `shrinking the ${fs.mountPoint} filesystem` });
  }
  if ((job.owner.mode & 0o7777) !== 0o755) {
    const mode = `0${(0o40000 | (job.owner.mode & 0o7777)).toString(8)}`;
    await run(['debugfs', '-w', '-R', `set_inode_field / mode ${mode}`, job.image], { log, signal, what: `setting the mode of the ${fs.mountPoint} filesystem's root` });
  }
  return (await stat(job.image)).size;
}

/** Makes the image of an xfs filesystem through a loop device; returns its size in bytes. */
async function makeXfsImage(job: FsImageJob): Promise<number> {
  const { fs, log, signal } = job;
  const bytes = initialImageBytes(job.contentBytes, fs.format);
  await sizeFile(job.image, bytes);
  await run(['mkfs.xfs', '-q', '-f', '-L', fs.label, '-m', `uuid=${fs.uuid}`, job.image], { privileged: true, log, signal, what: `making the xfs image of ${fs.mountPoint}` });
  const target = join(job.scratch, 'xfs');
  await makeRootDir(target, log);
  {
    await using stack = new ResourceStack();
    const device = await attachLoop(stack, job.image, { log, signal });
    await mount(stack, { source: device, target, fstype: 'xfs', log });
    await run(['cp', '--archive', '--one-file-system', '--sparse=always', `${job.folder}/.`, `${target}/`], { privileged: true, log, signal, what: `copying ${fs.mountPoint} into its xfs image` });
    const mode = (job.owner.mode & 0o7777).toString(8);
    await run(['install', '-d', '-m', mode, '-o', String(job.owner.uid), '-g', String(job.owner.gid), target], { privileged: true, log });
  }
  return bytes;
}

/** Makes the raw image of one filesystem; returns its size in bytes. */
export async function makeFilesystemImage(job: FsImageJob): Promise<number> {
  return job.fs.format === 'xfs' ? makeXfsImage(job) : makeExtImage(job);
}
