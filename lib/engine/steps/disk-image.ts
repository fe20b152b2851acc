// Step: the built tree becomes a partitioned, bootable raw disk image. The size is computed from
// the tree (block-device-size.d may change it), the block-device layer creates, attaches and
// mounts the disk, the tree is copied in, pre-finalise.d and finalise.d run against the final
// filesystems (finalise.d in a chroot on them), cleanup.d runs, and the disk is closed.
import { join } from 'node:path';
import { closeDisk, copyTreeIntoDisk, createDisk, installFstab, type AttachedDisk } from '../../block-device/disk.js';
import { blockDeviceEnvironment } from '../../block-device/environment.js';
import { planDiskLayout } from '../../block-device/layout.js';
import { probeKernelFeatures } from '../../block-device/kernel-support.js';
import { cryptoRandom } from '../../block-device/random.js';
import { run } from '../../exec/run.js';
import { applySizeHookOutput, imageSize, sizeHookEnvironment } from '../../plan/image-size.js';
import { ResourceStack } from '../../resources/disposable-stack.js';
import { enterChroot } from '../../resources/chroot.js';
import { makeRootDir } from '../../resources/root-files.js';
import type { BuildContext } from '../context.js';
import { runPhase } from '../phase-runner.js';
import { timed } from './timed.js';
import type { Firmware } from '../../boot-test/qemu.js';
import { writeTreeOutputs } from './tree-outputs.js';

/** Disk usage of the tree in bytes, as `du -x` counts it. */
async function treeBytes(ctx: BuildContext): Promise<number> {
  const result = await run(['du', '-s', '-x', '-B1', ctx.paths.root], { privileged: true, log: ctx.log });
  return Number(result.stdout.trim().split(/\s+/)[0]);
}

/** Builds the raw disk image; the disk is closed (nothing attached) on return. */
export async function buildDiskImage(ctx: BuildContext): Promise<{ raw: string; firmwares: Firmware[] }> {
  const planned = ctx.plan.disk!;
  const tree = await timed(ctx, 'measure the tree', () => treeBytes(ctx));
  const computed = imageSize({ ...planned.sizing, treeBytes: tree });
  for (const step of computed.steps) ctx.log.line('kiln', `image size: ${step}`);
  const sized = await runPhase(ctx, 'block-device-size', sizeHookEnvironment(computed.bytes, tree));
  const sizeBytes = sized.IMAGE_SIZE === undefined ? computed.bytes : applySizeHookOutput([`IMAGE_SIZE=${sized.IMAGE_SIZE}`], computed.bytes);
  const layout = planDiskLayout(planned.config, sizeBytes, cryptoRandom, { mountVfat: probeKernelFeatures().builderVm });
  const mountBase = join(ctx.paths.work, 'mnt');
  await makeRootDir(mountBase, ctx.log);
  const imagePath = join(planned.imageDirectory ?? ctx.paths.work, `${layout.imageName}.raw`);
  const disk = await timed(ctx, `create ${formatMiB(layout.sizeBytes)} disk (${layout.table?.label ?? 'no partition table'})`, () =>
    createDisk(ctx.stack, layout, { imagePath, mountBase, log: ctx.log, signal: ctx.signal }));
  await finaliseDisk(ctx, disk);
  return { raw: imagePath, firmwares: planned.firmwares };
}

function formatMiB(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MiB`;
}

/** Copies the tree in and runs the disk phases, then closes the disk. */
async function finaliseDisk(ctx: BuildContext, disk: AttachedDisk): Promise<void> {
  const diskEnv = blockDeviceEnvironment(disk);
  const replaced = await runPhase(ctx, 'block-device', { IMAGE_BLOCK_DEVICE: disk.loopDevice });
  if (replaced.IMAGE_BLOCK_DEVICE) diskEnv.IMAGE_BLOCK_DEVICE = replaced.IMAGE_BLOCK_DEVICE;
  Object.assign(ctx.runtimeEnv, diskEnv);
  await timed(ctx, 'copy the tree into the disk', async () => {
    await copyTreeIntoDisk(disk, ctx.paths.root);
    await installFstab(disk);
  });
  const onDisk: BuildContext = { ...ctx, paths: { ...ctx.paths, root: disk.mountBase } };
  {
    await using chroot = new ResourceStack();
    await enterChroot(chroot, disk.mountBase, ctx.log);
    await runPhase(onDisk, 'pre-finalise');
    await runPhase(onDisk, 'finalise');
  }
  await runPhase(onDisk, 'cleanup');
  await writeTreeOutputs(onDisk, disk.mountBase);
  await timed(ctx, 'close the disk', () => closeDisk(disk));
}
