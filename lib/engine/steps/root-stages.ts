// The image root, stage by stage, with the layer cache: before anything runs, the deepest stored
// layer whose key still matches is restored (a stage's end, or a checkpoint after a slow hook
// inside a stage), and only what comes after it runs. While the build runs, a layer is stored
// after each stage and after each slow hook, when the work since the last layer was worth
// keeping. Chroot stages leave the chroot before a layer is taken, so a layer never holds a
// mount, the host's resolv.conf or the build's policy-rc.d.
import { findLayer, layerProblem, restoreLayer, setLayerAside, storeLayer, type LayerInfo } from '../../cache/layer-store.js';
import { withCacheLock } from '../../cache/lock.js';
import type { StageDecision } from '../../plan/stage-decisions.js';
import { InternalError } from '../../errors.js';
import type { StageKey } from '../../cache/keys.js';
import { ResourceStack } from '../../resources/disposable-stack.js';
import { enterChroot } from '../../resources/chroot.js';
import { firstBootPhases, phase, ROOT_PHASES, type RootStage } from '../../flavours/phases.js';
import type { BuildContext } from '../context.js';
import { runPhaseHooks, type PhaseRun, type PhaseRunOptions } from '../phase-runner.js';
import { createRoot, installExtraPackages, installFirstBootHooks } from './root-tree.js';
import { refreshHookTree } from './prepare-hook-tree.js';
import { timed } from './timed.js';

/** Storing a layer costs about as much as a short stage: one is kept at a stage's end when the
 * work since the last layer took at least this long... */
const STORE_AFTER_MS = 1500;
// ...and after a hook inside a stage (which means leaving and re-entering the chroot) when the
// work since the last layer took at least KILN_CHECKPOINT_SECONDS (request.checkpointSeconds).


/** Stores layers as the build goes, and knows how much work the last one would save. */
class LayerKeeper {
  private lastLayerAt = Date.now();

  constructor(private readonly ctx: BuildContext) {}

  /** Milliseconds of work since the last layer was stored or restored. */
  sinceLast(): number {
    return Date.now() - this.lastLayerAt;
  }

  /** Restores `layer` into the work folder. */
  async restore(layer: LayerInfo, what: string): Promise<void> {
    const { ctx } = this;
    await timed(ctx, `restore cached layer (${what})`, () => restoreLayer({ cacheDir: ctx.plan.request.imageCache, layer, work: ctx.paths.work, log: ctx.log }));
    this.lastLayerAt = Date.now();
  }

  /** Stores the tree as the layer `key` (unless a concurrent or earlier build already did). */
  async store(key: string, what: string): Promise<void> {
    const { request, flavours } = this.ctx.plan;
    if (!findLayer(request.imageCache, key)) {
      await timed(this.ctx, `store ${what} layer`, () =>
        storeLayer({ cacheDir: request.imageCache, key, stage: what, flavours: flavours.map((f) => f.name).join(' '), work: this.ctx.paths.work, log: this.ctx.log }),
      );
    }
    this.lastLayerAt = Date.now();
  }
}

/** Builds the image root through post-root.d, reusing and storing layers. */
export async function buildRootStages(ctx: BuildContext): Promise<void> {
  const { request, cache } = ctx.plan;
  const keys = cache.stages;
  const keeper = new LayerKeeper(ctx);
  const checkpointAfter = request.checkpointSeconds * 1000;
  const decisions = await restoreDeepestLayer(ctx, keeper);
  for (const [index, decision] of decisions.entries()) {
    if (decision.reuse) {
      ctx.emit({ type: 'phase-cached', phase: decision.stage, reason: decision.reason });
      continue;
    }
    if (decision.resume) ctx.emit({ type: 'info', message: `${decision.stage}: ${decision.reason}` });
    const key = keys[index]!;
    const checkpointDue = (hookIndex: number): boolean => {
      const found = key.checkpoints[hookIndex];
      return !request.noCache && !ctx.readOnlyCache && found !== undefined && !found.uncacheable && keeper.sinceLast() >= checkpointAfter;
    };
    await runStage(ctx, key.stage, decision.resume ? decision.resume.index + 1 : 0, {
      pauseAfter: checkpointDue,
      keep: (hookIndex) => {
        const checkpoint = key.checkpoints[hookIndex]!;
        return keeper.store(checkpoint.key, `${decision.stage} checkpoint (after ${checkpoint.afterHook})`);
      },
    });
    if (!request.noCache && !ctx.readOnlyCache && worthStoring(keys, index, keeper.sinceLast())) await keeper.store(key.key, decision.stage);
  }
}

/**
 * Restores the layer the plan chose, under the cache lock (so no concurrent prune or store can
 * take it away between the choice and the restore), after checking its size and sha256. A layer
 * that is gone or corrupt (moved aside, with a warning) gives way to the plan's fallback: the
 * decisions made without it. Returns the decisions the build follows.
 */
async function restoreDeepestLayer(ctx: BuildContext, keeper: LayerKeeper): Promise<readonly StageDecision[]> {
  const { request, cache } = ctx.plan;
  return withCacheLock(request.imageCache, async () => {
    for (const decisions of [cache.decisions, ...cache.fallbacks]) {
      const chosen = decisions.find((d) => d.layer);
      if (!chosen?.layer) return decisions;
      const layer = findLayer(request.imageCache, chosen.layer.key);
      const problem = layer ? await layerProblem(layer) : undefined;
      if (layer && !problem) {
        await keeper.restore(layer, chosen.resume ? `${chosen.stage}, after ${chosen.resume.afterHook}` : chosen.stage);
        await refreshHookTree(ctx);
        return decisions;
      }
      const which = `cached layer ${chosen.layer.key.slice(0, 12)} (${chosen.stage})`;
      if (layer) {
        const aside = await setLayerAside(request.imageCache, layer);
        ctx.emit({ type: 'warning', message: `${which} is corrupt: ${problem}; moved it to ${aside} and running what it held` });
      } else {
        ctx.emit({ type: 'info', message: `${which} left the cache after the build was planned; running what it held` });
      }
    }
    throw new InternalError('the plan has no cache decisions without a layer');
  });
}

function worthStoring(keys: readonly StageKey[], index: number, sinceLastMs: number): boolean {
  const key = keys[index]!;
  if (key.uncacheable) return false;
  if (index > 0 && keys[index - 1]!.key === key.key) return false;
  return sinceLastMs >= STORE_AFTER_MS;
}

/** How a stage may stop part-way to keep a checkpoint layer. */
interface Pauses {
  pauseAfter: (hookIndex: number) => boolean;
  keep: (hookIndex: number) => Promise<void>;
}

/** Runs a stage from hook `from`; at each pause, leaves the chroot, keeps the layer, goes on. */
async function runStage(ctx: BuildContext, stage: RootStage, from: number, pauses: Pauses): Promise<void> {
  let next = from;
  for (;;) {
    const ran = await runStageSegment(ctx, stage, { from: next, pauseAfter: pauses.pauseAfter });
    if (ran.pausedAfter === undefined) return;
    await pauses.keep(ran.pausedAfter);
    next = ran.pausedAfter + 1;
  }
}

/** One stretch of a stage, in its own chroot session for chroot stages (where the phase table
 * says it runs; the -p packages install in the chroot). */
async function runStageSegment(ctx: BuildContext, stage: RootStage, options: PhaseRunOptions): Promise<PhaseRun> {
  const spec = stage.phase === undefined ? undefined : phase(stage.phase);
  if (spec?.name === ROOT_PHASES[0]!.name) return createRoot(ctx, options);
  if (spec?.where === 'host') return runPhaseHooks(ctx, spec.name, options);
  await using chroot = new ResourceStack();
  await enterChroot(chroot, ctx.paths.root, ctx.log);
  // Awaited inside the `await using` block: a returned promise would outlive the chroot.
  if (!spec) {
    await installExtraPackages(ctx);
    return { outputs: {}, pausedAfter: undefined };
  }
  const ran = await runPhaseHooks(ctx, spec.name, options);
  if (ran.pausedAfter === undefined && firstBootPhases().some((f) => f.installedBy === spec.name)) await installFirstBootHooks(ctx);
  return ran;
}
