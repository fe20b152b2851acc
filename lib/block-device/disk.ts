// Carries out a DiskLayout: a sparse image file, the partition table written on the FILE with
// sfdisk, a loop device, partition devices (partx), the filesystems, and the mounts under a
// mount base (vfat staged as plain folders, see vfat-staging.ts). Every effect registers its
// undo the moment it happens, on a stack owned by the disk, which is itself registered on the
// caller's stack first: an error anywhere unwinds everything, and closeDisk() (the success path)
// unwinds it early after copying the staged vfat content in.
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InternalError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { attachLoop } from '../resources/loop-device.js';
import { isMounted, mount } from '../resources/mount.js';
import { makeImageDir, writeImageFile } from '../resources/root-files.js';
import { removeTree } from '../resources/remove-tree.js';
import { SECTOR, type DiskLayout } from './layout-types.js';
import { createVolumes } from './lvm-volumes.js';
import { rebuildExtFilesystem, writeFilesystemInto } from './ext-rebuild.js';
import { isExtFs } from './filesystems.js';
import { clampTimes } from '../reproducible/clamp.js';
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
  /**
   * SOURCE_DATE_EPOCH: mkfs runs with this clock, and closeDisk() makes every ext filesystem
   * again from its content so that the image is reproducible (ext-rebuild.ts). Unset: the
   * filesystems stay as the kernel wrote them.
   */
  epoch?: number | undefined;
  /** Where the rebuilt filesystems are made (default: the image's folder). */
  workDir?: string | undefined;
}

/** A filesystem as it is reachable during the build. */
export interface DiskMount {
  /** The mkfs node name. */
  filesystem: string;
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

interface DiskState {
  stack: ResourceStack;
  log: LogSink | undefined;
  signal: AbortSignal | undefined;
  epoch: number | undefined;
  workDir: string;
}

const diskStacks = new WeakMap<AttachedDisk, DiskState>();

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
  diskStacks.set(disk, { stack: own, log, signal, epoch: options.epoch, workDir: options.workDir ?? dirname(imagePath) });
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
  const { log, signal, epoch } = diskStacks.get(disk)!;
  for (const fs of disk.layout.filesystems) {
    const device = deviceFor(disk, fs.device);
    await run([...fs.mkfs, device], {
      privileged: true, log, signal, what: `making the ${fs.type} filesystem ${fs.name} on ${device}`,
      ...(epoch === undefined ? {} : { env: { E2FSPROGS_FAKE_TIME: String(epoch) } }),
    });
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
    disk.mounts.push({ filesystem: m.filesystem, mountPoint: m.mountPoint, path, device, type: m.type, staged: m.staged });
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

/** Where a filesystem node lies in the image file: its partition, or the whole disk (undefined for an LVM volume). */
function extentOf(layout: DiskLayout, node: string): { offset: number; bytes: number } | undefined {
  const partition = layout.table?.partitions.find((p) => p.name === node);
  if (partition) return { offset: partition.startSector * SECTOR, bytes: partition.sizeSectors * SECTOR };
  if (node === layout.imageName) return { offset: 0, bytes: layout.sizeBytes };
  return undefined;
}

/** Success path: copies staged vfat content in, rebuilds ext filesystems, trims, unmounts (reverse order), detaches. */
export async function closeDisk(disk: AttachedDisk): Promise<void> {
  const state = diskStacks.get(disk)!;
  const { stack, log, signal } = state;
  // Staged vfat folders live in their parent filesystem: copying them after it was unmounted
  // would silently copy an empty host folder.
  const lost = disk.mounts.filter((m) => !m.staged && !isMounted(m.path));
  if (lost.length) throw new InternalError(`${lost.map((m) => m.path).join(', ')} was unmounted before the disk was closed`);
  for (const m of disk.mounts.filter((m) => m.staged)) {
    await copyIntoFat(m.device, m.path, { log, signal });
    await emptyFolder(m.path, { log });
  }
  await run(['sync'], { log });
  // The rebuilt filesystems outlive the disk's own resources: they are written in once it is detached.
  await using files = new ResourceStack();
  const started = Date.now();
  const rebuilt = state.epoch === undefined ? [] : await rebuildExtFilesystems(disk, { ...state, epoch: state.epoch }, files);
  // Discarding unused blocks punches holes in the image file, so the raw image stays sparse (DIB).
  for (const m of [...disk.mounts].reverse().filter((m) => !m.staged && !rebuilt.some((r) => r.filesystem === m.filesystem))) {
    await run(['fstrim', m.path], { privileged: true, log, allowFailure: true });
  }
  await stack.disposeAsync();
  for (const r of rebuilt) await writeFilesystemInto(r.file, disk.imagePath, r.extent.offset, r.extent.bytes, log);
  // bench/reproducibility reads this line: what the reproducible filesystems cost.
  if (rebuilt.length) log?.line('kiln', `reproducible ext filesystems (${rebuilt.map((r) => r.filesystem).join(', ')}) made in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** A rebuilt filesystem: its file, and where it goes in the image. */
interface Rebuilt {
  filesystem: string;
  file: string;
  extent: { offset: number; bytes: number };
}

/**
 * Makes each mounted ext filesystem on a partition (or the whole disk) again from its content
 * (ext-rebuild.ts); the files replace them once the disk is detached. One on an LVM volume stays
 * as the kernel wrote it: its place in the image is the volume manager's.
 */
async function rebuildExtFilesystems(disk: AttachedDisk, state: DiskState & { epoch: number }, files: ResourceStack): Promise<Rebuilt[]> {
  const rebuilt: Rebuilt[] = [];
  for (const m of disk.mounts.filter((m) => !m.staged && isExtFs(m.type))) {
    const fs = disk.layout.filesystems.find((f) => f.name === m.filesystem)!;
    const extent = extentOf(disk.layout, fs.device);
    if (!extent) continue;
    await clampTimes(m.path, state.epoch, { log: state.log, signal: state.signal });
    const file = await rebuildExtFilesystem(files, {
      mountPath: m.path, mkfs: fs.mkfs, bytes: extent.bytes, workDir: state.workDir, name: fs.name,
      epoch: state.epoch, log: state.log, signal: state.signal,
    });
    rebuilt.push({ filesystem: fs.name, file, extent });
  }
  return rebuilt;
}
