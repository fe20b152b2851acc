// --boot-test of a --vm build runs on the host, after the outputs are in place: QEMU is there
// anyway, and booting the image inside the build VM would emulate inside emulation.
import { bootTest } from '../engine/steps/finish.js';
import { outputFormat } from '../outputs/registry.js';
import type { ResolvedBuild } from '../plan/resolved-build.js';
import type { EventSink } from '../report/events.js';

/** Boots the placed outputs of `plan` as a host build's --boot-test does, with the firmwares its
 * resolved disk boots with. */
export async function bootTestOnHost(plan: ResolvedBuild, ctx: { signal: AbortSignal; emit: EventSink }, workDir: string): Promise<void> {
  const images = plan.request.types.filter((t) => outputFormat(t).kind === 'image');
  if (!plan.request.bootTest || plan.request.kind !== 'disk' || !images.length || !plan.disk) return;
  await bootTest({ plan, signal: ctx.signal, emit: ctx.emit, paths: { work: workDir } }, plan.disk.firmwares);
}
