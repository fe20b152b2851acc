// After post-root.d: the build's end depends on what was asked for. Tree outputs (tar, ...) only:
// cleanup.d, then archive the root. Disk images: the block-device layer, the disk phases, then
// each image format converted once from the raw disk (raw last, moved), and the optional boot
// test. Ramdisk builds: cleanup.d, then the kernel and initramfs.
import { statSync } from 'node:fs';
import { bootTestImage } from '../../boot-test/image-boot-test.js';
import type { Firmware } from '../../boot-test/qemu.js';
import { outputFormat, outputPath } from '../../outputs/registry.js';
import { writeImageOutput } from '../../outputs/image.js';
import { writeChecksums } from '../../outputs/checksum.js';
import { currentOutput } from '../../outputs/partial.js';
import type { BuildContext } from '../context.js';
import { runPhase } from '../phase-runner.js';
import { buildDiskImage } from './disk-image.js';
import { buildFilesystemImages } from './filesystem-images.js';
import { buildRamdiskOutputs } from './ramdisk.js';
import { timed } from './timed.js';
import { writeTreeOutputs } from './tree-outputs.js';

/** Finishes a build whose image root is complete; returns the firmwares a disk image boots with. */
export async function finishBuild(ctx: BuildContext): Promise<Firmware[]> {
  const { request } = ctx.plan;
  if (request.kind === 'ramdisk') {
    await runPhase(ctx, 'cleanup');
    await buildRamdiskOutputs(ctx);
    return [];
  }
  const imageTypes = request.types.filter((t) => outputFormat(t).kind === 'image');
  if (!imageTypes.length) {
    await runPhase(ctx, 'cleanup');
    await writeTreeOutputs(ctx, ctx.paths.root);
    if (request.filesystemImages) await buildFilesystemImages(ctx, request.filesystemImages);
    return [];
  }
  const { raw, firmwares } = await buildDiskImage(ctx);
  await writeImageOutputs(ctx, raw, imageTypes);
  return firmwares;
}

/** Converts the raw disk once per format; raw itself goes last and is moved, not copied. */
async function writeImageOutputs(ctx: BuildContext, raw: string, types: string[]): Promise<void> {
  const { request } = ctx.plan;
  const ordered = [...types.filter((t) => t !== 'raw'), ...types.filter((t) => t === 'raw')];
  for (const format of ordered) {
    const path = outputPath(request.imageName, format);
    await timed(ctx, `write ${format}`, () =>
      writeImageOutput({ format, raw, path, compress: !request.uncompressed, userOptions: request.qemuImgOptions, log: ctx.log, signal: ctx.signal }, format === 'raw'));
    if (request.checksum) await timed(ctx, `checksum ${format}`, () => writeChecksums(path));
    ctx.emit({ type: 'output', format, path, bytes: statSync(currentOutput(path)).size });
  }
}

/** What the boot test needs of a build (a host build's context, or the --vm runner's). */
export type BootTestContext = Pick<BuildContext, 'plan' | 'signal' | 'emit'> & { paths: { work: string } };

/** --boot-test: boots the finished image with each firmware its layout supports. */
export async function bootTest(ctx: BootTestContext, firmwares: Firmware[]): Promise<void> {
  const { request } = ctx.plan;
  const types = request.types.filter((t) => outputFormat(t).kind === 'image');
  if (!request.bootTest || !types.length) return;
  const format = types.find((t) => t === 'qcow2' || t === 'raw') ?? types[0]!;
  const hasFirstBoot = (ctx.plan.phases.find((p) => p.name === 'first-boot')?.hooks.length ?? 0) > 0;
  const results = await timed(ctx, `boot test (${firmwares.join(', ')})`, () =>
    bootTestImage({
      // Staged until the build, boot test included, has succeeded.
      image: currentOutput(outputPath(request.imageName, format)), format: format === 'raw' ? 'raw' : format, firmwares, hasFirstBoot,
      workDir: ctx.paths.work, consoleLogPrefix: request.imageName, signal: ctx.signal,
    }));
  for (const r of results) ctx.emit({ type: 'info', message: `boot test: ${r.firmware} boot reached the login prompt in ${r.seconds.toFixed(0)} s` });
}
