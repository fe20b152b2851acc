// --boot-test of a --vm build runs on the host, after the outputs are in place: QEMU is there
// anyway, and booting the image inside the build VM would emulate inside emulation.
import type { Firmware } from '../boot-test/qemu.js';
import { planDiskLayout } from '../block-device/layout.js';
import { cryptoRandom } from '../block-device/random.js';
import { blockDeviceConfig } from '../engine/block-device-config.js';
import { firmwaresOf } from '../engine/steps/disk-image.js';
import { bootTest } from '../engine/steps/finish.js';
import { outputFormat } from '../outputs/registry.js';
import type { BuildPlan } from '../plan/build-plan.js';
import type { EventSink } from '../report/events.js';

/** A size no layout's fixed partitions exceed: the firmwares depend on the table, not the size. */
const ANY_SIZE = 2 ** 44;

/** The firmwares the image of `plan` boots with, from its layout. */
export function layoutFirmwares(plan: BuildPlan): Firmware[] {
  return firmwaresOf(planDiskLayout(blockDeviceConfig(plan).config, ANY_SIZE, cryptoRandom));
}

/** Boots the placed outputs of `plan` as a host build's --boot-test does. */
export async function bootTestOnHost(plan: BuildPlan, ctx: { signal: AbortSignal; emit: EventSink }, workDir: string): Promise<void> {
  const images = plan.request.types.filter((t) => outputFormat(t).kind === 'image');
  if (!plan.request.bootTest || plan.request.kind !== 'disk' || !images.length) return;
  await bootTest({ plan, signal: ctx.signal, emit: ctx.emit, paths: { work: workDir } }, layoutFirmwares(plan));
}
