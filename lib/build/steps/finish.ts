// After post-root.d: the build's end depends on what was asked for. Tree outputs (tar, ...) run
// cleanup.d and archive the root; disk images go through the block-device layer; ramdisk builds
// assemble the kernel and initramfs.
import type { BuildContext } from '../context.js';
import { runPhase } from '../phase-runner.js';
import { outputFormat } from '../../outputs/registry.js';
import { writeTreeOutputs } from './tree-outputs.js';
import { InternalError } from '../../errors.js';

/** Finishes a build whose image root is complete. */
export async function finishBuild(ctx: BuildContext): Promise<void> {
  const { request } = ctx.plan;
  if (request.kind === 'ramdisk') throw new InternalError('ramdisk builds are not wired yet');
  const imageTypes = request.types.filter((t) => outputFormat(t).kind === 'image');
  if (imageTypes.length) throw new InternalError('disk images are not wired yet');
  await runPhase(ctx, 'cleanup');
  await writeTreeOutputs(ctx, ctx.paths.root);
}
