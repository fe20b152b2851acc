// Step: the kernel and initramfs of a ramdisk build, from the finished root.
import { InternalError } from '../../errors.js';
import type { BuildContext } from '../context.js';

/** Writes NAME.kernel and NAME.initramfs. */
export async function buildRamdiskOutputs(ctx: BuildContext): Promise<void> {
  throw new InternalError(`ramdisk assembly is not wired yet (${ctx.plan.request.imageName})`);
}
