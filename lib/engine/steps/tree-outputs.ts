// Step: archive the finished root as every requested tree format (tar, tgz, tar.zst, squashfs),
// then the container formats (oci, oci-archive, docker) together from one layer. Nothing is
// mounted in the root by now, so /dev holds only the nodes packages created, never the host's.
import { outputFormat, outputPath } from '../../outputs/registry.js';
import { writeTreeOutput } from '../../outputs/tree.js';
import { writeChecksums } from '../../outputs/checksum.js';
import { isContainerFormat, writeContainerOutputs } from '../../outputs/container.js';
import { outputBytes } from '../../outputs/output-size.js';
import { currentOutput } from '../../outputs/partial.js';
import { containerEpoch } from '../../plan/container-plan.js';
import { InternalError } from '../../errors.js';
import type { BuildContext } from '../context.js';
import { timed } from './timed.js';

/** Writes each requested tree output from `root`. */
export async function writeTreeOutputs(ctx: BuildContext, root: string): Promise<void> {
  const { request } = ctx.plan;
  const types = request.types.filter((t) => outputFormat(t).kind === 'tree');
  for (const type of types.filter((t) => !isContainerFormat(t))) {
    const path = outputPath(request.imageName, type);
    await timed(ctx, `write ${type}`, () => writeTreeOutput({ format: type, root, path, log: ctx.log, signal: ctx.signal }));
  }
  const containers = types.filter(isContainerFormat);
  if (containers.length) await timed(ctx, `write ${containers.join(', ')}`, () => writeContainers(ctx, root, containers));
  for (const type of types) {
    const path = outputPath(request.imageName, type);
    const bytes = await outputBytes(currentOutput(path));
    if (request.checksum && !bytes.folder) await timed(ctx, `checksum ${type}`, () => writeChecksums(path));
    ctx.emit({ type: 'output', format: type, path, bytes: bytes.bytes });
  }
}

async function writeContainers(ctx: BuildContext, root: string, formats: string[]): Promise<void> {
  const { request, container } = ctx.plan;
  if (!container) throw new InternalError('container outputs requested but the plan has no container settings');
  await writeContainerOutputs({
    formats, root, imageName: request.imageName, reference: container.reference, settings: container.settings, arch: request.arch,
    epoch: containerEpoch(request.sourceDateEpoch, Date.now()), createdBy: `kiln disk-image-create ${request.flavours.join(' ')}`,
    log: ctx.log, signal: ctx.signal, forceSignal: ctx.forceSignal,
  });
}
