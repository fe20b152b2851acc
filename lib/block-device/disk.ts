// Carries out a DiskLayout: a sparse image file, the partition table written on the FILE with
// sfdisk, a loop device, partition devices (partx), the filesystems, and the mounts under a
// mount base (vfat staged as plain folders, see vfat-staging.ts). Every effect registers its
// undo the moment it happens, on a stack owned by the disk, which is itself registered on the
// caller's stack first: an error anywhere unwinds everything, and closeDisk() (the success path)
// unwinds it early after copying the staged vfat content in.
import { open } from 'node:fs/promises';
import { InternalError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { attachLoop } from '../resources/loop-device.js';
import { isMounted, mount } from '../resources/mount.js';
import { makeImageDir, writeImageFile } from '../resources/root-files.js';
import { removeTree } from '../resources/remove-tree.js';
import type { DiskLayout } from './layout-types.js';
import { createVolumes } from './lvm-volumes.js';
import { addPartitionDevices } from '../resources/partition-devices.js';
import type { FsType } from './types.js';
import { copyIntoFat, emptyFolder } from './vfat-staging.js';

/** Where and how to build the disk. */
export interface DiskOptions {
  /** The raw image file to create; must not exist. */
  imagePath: string;
  /** An existing empty folder the filesystems are mounted under (the image's / is mounted on it). */
  mountBase: string;
  log?: LogSink | undefined;
  signal?: AbortSignal | undefined;
}

/** A filesystem as it is reachable during the build. */
export interface DiskMount {
  mountPoint: string;
  /** Host path: the mount point below the mount base. */
  path: string;
  device: string;
  type: FsType;
  /** vfat: a plain folder now, copied into the filesystem by closeDisk(). */
  staged: boolean;
}

/** A created, attached and mounted disk. */
export interface AttachedDisk {
  layout: DiskLayout;
  imagePath: string;
  /** The whole disk: /dev/loopN (IMAGE_BLOCK_DEVICE). */
  loopDevice: string;
  /** Partition node name → /dev/loopNpM. */
  partitionDevices: Record<string, string>;
  /** Logical volume name → /dev/mapper/<vg>-<lv> (LVM layouts, in the build VM). */
  volumeDevices: Record<string, string>;
  /** mkfs node name → the device it is on. */
  filesystemDevices: Record<string, string>;
  mountBase: string;
  /** In mount order. */
  mounts: DiskMount[];
  /** The image's /etc/fstab. */
  fstab: string;
  rootUuid: string;
}

const diskStacks = new WeakMap<AttachedDisk, { stack: ResourceStack; log: LogSink | undefined; signal: AbortSignal | undefined }>();

/** Creates the image file, writes the table, attaches it, makes and mounts the filesystems. */
export async function createDisk(stack: ResourceStack, layout: DiskLayout, options: DiskOptions): Promise<AttachedDisk> {
  const { imagePath, log, signal } = options;
  await createSparseFile(stack, imagePath, layout.sizeBytes, log);
  const own = new ResourceStack();
  stack.defer(`release the disk ${imagePath}`, () => own.disposeAsync());
  if (layout.table) {
    await run(['sfdisk', '--quiet', '--no-reread', '--no-tell-kernel', imagePath], {
      input: layout.table.script, log, signal, what: `writing the ${layout.table.label} partition table of ${imagePath}`,
    });
  }
  const loopDevice = await attachLoop(own, imagePath, { log, signal });
  const partitionDevices = await attachPartitions(own, layout, loopDevice, log, signal);
  const volumeDevices = layout.lvm ? await createVolumes(own, layout.lvm, partitionDevices, { log, signal }) : {};
  const disk: AttachedDisk = {
    layout, imagePath, loopDevice, partitionDevices, volumeDevices, filesystemDevices: {}, mountBase: options.mountBase, mounts: [],
    fstab: layout.fstab, rootUuid: layout.root.uuid,
  };
  diskStacks.set(disk, { stack: own, log, signal });
  await makeFilesystems(disk);
  await mountFilesystems(disk);
  return disk;
}

async function createSparseFile(stack: ResourceStack, path: string, size: number, log: LogSink | undefined): Promise<void> {
  const handle = await open(path, 'wx');
  stack.defer(`remove ${path}`, () => removeTree(path, log));
  try {
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
}

async function attachPartitions(stack: ResourceStack, layout: DiskLayout, loopDevice: string, log: LogSink | undefined,
  signal: AbortSignal | undefined): Promise<Record<string, string>> {
  if (!layout.table) return {};
  const parts = layout.table.partitions;
  const devices = await addPartitionDevices(stack, loopDevice, parts.map((p) => p.number), { log, signal });
  return Object.fromEntries(parts.map((p) => [p.name, devices.get(p.number)!]));
}

function deviceFor(disk: AttachedDisk, node: string): string {
  return node === disk.layout.imageName ? disk.loopDevice : disk.partitionDevices[node] ?? disk.volumeDevices[node]!;
}

/** Makes every filesystem of the layout, in call order. */
async function makeFilesystems(disk: AttachedDisk): Promise<void> {
  const { log, signal } = diskStacks.get(disk)!;
  for (const fs of disk.layout.filesystems) {
    const device = deviceFor(disk, fs.device);
    await run([...fs.mkfs, device], { privileged: true, log, signal, what: `making the ${fs.type} filesystem ${fs.name} on ${device}` });
    disk.filesystemDevices[fs.name] = device;
  }
}

/** Mounts the filesystems in mount order under the mount base; vfat ones become plain folders. */
async function mountFilesystems(disk: AttachedDisk): Promise<void> {
  const { stack, log } = diskStacks.get(disk)!;
  for (const m of disk.layout.mounts) {
    const device = disk.filesystemDevices[m.filesystem]!;
    // Inside the filesystems just made: resolved in the image all the same.
    const path = await makeImageDir({ root: disk.mountBase, log }, m.mountPoint);
    if (!m.staged) await mount(stack, { source: device, target: path, fstype: m.type, log });
    disk.mounts.push({ mountPoint: m.mountPoint, path, device, type: m.type, staged: m.staged });
  }
}

/** Writes the layout's fstab to /etc/fstab of the mounted image. */
export async function installFstab(disk: AttachedDisk): Promise<void> {
  const { log } = diskStacks.get(disk)!;
  await writeImageFile({ root: disk.mountBase, log }, 'etc/fstab', disk.fstab, 0o644);
}

/** Copies a built tree into the mounted filesystems, keeping owners, modes, links, ACLs and xattrs. */
export async function copyTreeIntoDisk(disk: AttachedDisk, tree: string): Promise<void> {
  const { log, signal } = diskStacks.get(disk)!;
  await run(['cp', '--archive', '--one-file-system', '--sparse=always', `${tree}/.`, `${disk.mountBase}/`], {
    privileged: true, log, signal, what: `copying the image tree into ${disk.imagePath}`,
  });
}

/** Success path: copies staged vfat content in, trims, unmounts (reverse order), detaches. */
export async function closeDisk(disk: AttachedDisk): Promise<void> {
  const { stack, log, signal } = diskStacks.get(disk)!;
  // Staged vfat folders live in their parent filesystem: copying them after it was unmounted
  // would silently copy an empty host folder.
  const lost = disk.mounts.filter((m) => !m.staged && !isMounted(m.path));
  if (lost.length) throw new InternalError(`${lost.map((m) => m.path).join(', ')} was unmounted before the disk was closed`);
  for (const m of disk.mounts.filter((m) => m.staged)) {
    await copyIntoFat(m.device, m.path, { log, signal });
    await emptyFolder(m.path, { log });
  }
  await run(['sync'], { log });
  // Discarding unused blocks punches holes in the image file, so the raw image stays sparse (DIB).
  for (const m of [...disk.mounts].reverse().filter((m) => !m.staged)) {
    await run(['fstrim', m.path], { privileged: true, log, allowFailure: true });
  }
  await stack.disposeAsync();
}
