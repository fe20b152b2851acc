// Step: archive the finished root as every requested tree format (tar, tgz, tar.zst, squashfs).
// Nothing is mounted in the root by now, so /dev holds only the nodes packages created, never
// the host's.
import { statSync } from 'node:fs';
import { outputFormat, outputPath } from '../../outputs/registry.js';
import { writeTreeOutput } from '../../outputs/tree.js';
import { writeChecksums } from '../../outputs/checksum.js';
import type { BuildContext } from '../context.js';
import { timed } from './timed.js';

/** Writes each requested tree output from `root`. */
export async function writeTreeOutputs(ctx: BuildContext, root: string): Promise<void> {
  const { request } = ctx.plan;
  for (const type of request.types.filter((t) => outputFormat(t).kind === 'tree')) {
    const path = outputPath(request.imageName, type);
    await timed(ctx, `write ${type}`, () => writeTreeOutput({ format: type, root, path, epoch: ctx.plan.sourceDate.epoch, log: ctx.log, signal: ctx.signal }));
    if (request.checksum) await timed(ctx, `checksum ${type}`, () => writeChecksums(path));
    ctx.emit({ type: 'output', format: type, path, bytes: statSync(path).size });
  }
}
