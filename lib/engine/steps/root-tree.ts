// Steps that make the image root: root.d on the host, the `-p` packages, and the first-boot
// hooks. root-stages.ts runs them in order with the layer cache.
import { readdirSync } from 'node:fs';
import { KilnError } from '../../errors.js';
import { ResourceStack } from '../../resources/disposable-stack.js';
import { chrootRun } from '../../resources/chroot.js';
import { makeRootDir } from '../../resources/root-files.js';
import type { BuildContext } from '../context.js';
import { hookEnvironment } from '../context.js';
import { installFirstBoot } from '../first-boot.js';
import { bindHookTree, IN_TARGET, runPhaseHooks, type PhaseRun, type PhaseRunOptions } from '../phase-runner.js';
import { timed } from './timed.js';

/** Creates the root folder and runs root.d (from a checkpoint: the rest of it); the root must
 * then hold an operating system. */
export async function createRoot(ctx: BuildContext, options: PhaseRunOptions = {}): Promise<PhaseRun> {
  await makeRootDir(ctx.paths.root, ctx.log);
  const ran = await runPhaseHooks(ctx, 'root', options);
  if (ran.pausedAfter !== undefined) return ran;
  const entries = readdirSync(ctx.paths.root).filter((e) => e !== 'lost+found' && e !== 'tmp');
  if (!entries.length) {
    throw new KilnError('root.d left the image root empty: no flavour built an operating system', {
      hint: 'the operating-system flavour (e.g. debian) must fill $TARGET_ROOT in its root.d hook',
    });
  }
  return ran;
}

/** Copies first-boot.d hooks into the image with their one-shot runner. */
export async function installFirstBootHooks(ctx: BuildContext): Promise<void> {
  const firstBoot = ctx.plan.phases.find((p) => p.name === 'first-boot')?.hooks ?? [];
  if (firstBoot.length) await timed(ctx, 'install first-boot hooks', () => installFirstBoot(ctx.paths.root, firstBoot, ctx.log));
}

/** `-p` packages: install-packages once, in the chroot, after install.d (as DIB does). */
export async function installExtraPackages(ctx: BuildContext): Promise<void> {
  const packages = ctx.plan.request.packages;
  if (!packages.length) return;
  await timed(ctx, `install packages (-p): ${packages.join(' ')}`, async () => {
    await using stack = new ResourceStack();
    await bindHookTree(ctx, stack);
    await chrootRun(ctx.paths.root, [`${IN_TARGET}/bin/install-packages`, ...packages], { ...hookEnvironment(ctx), TMP_HOOKS_PATH: IN_TARGET }, {
      log: ctx.log, label: '-p', signal: ctx.signal, forceSignal: ctx.forceSignal, what: 'installing the -p packages',
    });
  });
}
