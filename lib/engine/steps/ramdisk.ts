// Step: the kernel and initramfs of a ramdisk build, assembled from the finished root (busybox,
// binary-deps with their libraries, kernel modules, /init from the flavours' fragments).
import { formatBytes } from '../../config/size.js';
import { buildRamdisk } from '../../ramdisk/assemble.js';
import { exportedValues } from '../../plan/hook-environment.js';
import type { BuildContext } from '../context.js';
import { timed } from './timed.js';

/** Writes NAME.kernel and NAME.initramfs and reports their sizes. */
export async function buildRamdiskOutputs(ctx: BuildContext): Promise<void> {
  const { plan } = ctx;
  const result = await timed(ctx, `assemble the ${plan.request.ramdiskCompression} initramfs`, () =>
    buildRamdisk({
      rootDir: ctx.paths.root,
      flavours: plan.flavours,
      parts: plan.ramdisk,
      kernelVersion: exportedValues(plan.environment).DIB_KERNEL_VERSION || undefined,
      outputPrefix: plan.request.imageName,
      compression: plan.request.ramdiskCompression,
      epochSeconds: plan.request.sourceDateEpoch ?? 0,
      workDir: ctx.paths.work,
      log: ctx.log,
      signal: ctx.signal,
      stack: ctx.stack,
    }));
  for (const warning of result.warnings) ctx.emit({ type: 'warning', message: warning });
  ctx.emit({ type: 'output', format: 'kernel', path: result.kernel.path, bytes: result.kernel.bytes });
  ctx.emit({ type: 'output', format: 'initramfs', path: result.initramfs.path, bytes: result.initramfs.bytes });
  const { programs, files, modules, firmware } = result.contents;
  ctx.emit({
    type: 'info',
    message: `ramdisk: kernel ${result.kernel.version} ${formatBytes(result.kernel.bytes)}; initramfs ${formatBytes(result.initramfs.bytes)} ` +
      `(${formatBytes(result.initramfs.uncompressedBytes)} unpacked: ${programs} programs, ${files} files, ${modules} modules, ${firmware} firmware files)`,
  });
}
