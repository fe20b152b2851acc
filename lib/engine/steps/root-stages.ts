// The image root, stage by stage, with the layer cache: before anything runs, the deepest stored
// layer whose key still matches is restored (a stage's end, or a checkpoint after a slow hook
// inside a stage), and only what comes after it runs. While the build runs, a layer is stored
// after each stage and after each slow hook, when the work since the last layer was worth
// keeping. Chroot stages leave the chroot before a layer is taken, so a layer never holds a
// mount, the host's resolv.conf or the build's policy-rc.d.
import { findLayer, restoreLayer, storeLayer, type LayerInfo } from '../../cache/layer-store.js';
import type { Checkpoint, StageKey } from '../../cache/keys.js';
import type { BuildRequest } from '../../config/request.js';
import { ResourceStack } from '../../resources/disposable-stack.js';
import { enterChroot } from '../../resources/chroot.js';
import type { BuildContext } from '../context.js';
import { runPhaseHooks, type PhaseRun, type PhaseRunOptions } from '../phase-runner.js';
import { createRoot, installExtraPackages, installFirstBootHooks } from './root-tree.js';
import { refreshHookTree } from './hook-tree.js';
import { timed } from './timed.js';

/** What the plan says about one stage: reuse its layer, resume it from a checkpoint, or run it, and why. */
export interface StageDecision {
  stage: string;
  key: string;
  reuse: boolean;
  /** The stage runs from the hook after this checkpoint, whose layer is restored. */
  resume?: Checkpoint;
  reason: string;
}

/** Max layer age of a request (KILN_CACHE_MAX_AGE_DAYS). */
export function maxLayerAge(request: BuildRequest): number {
  return request.cacheMaxAgeDays * 24 * 3600 * 1000;
}

type Lookup = (key: string) => LayerInfo | undefined;
interface DecideOptions { noCache: boolean; maxAgeMs: number; now: number }

/** The deepest usable layer: a stage's end (checkpoint undefined) or a checkpoint inside it. */
function deepestLayer(keys: readonly StageKey[], lookup: Lookup, opts: DecideOptions): { stage: number; checkpoint?: Checkpoint; layer: LayerInfo } | undefined {
  if (opts.noCache) return undefined;
  const usable = (key: string, uncacheable: string | undefined): LayerInfo | undefined => {
    const layer = uncacheable ? undefined : lookup(key);
    return layer && opts.now - layer.createdMs <= opts.maxAgeMs ? layer : undefined;
  };
  let deepest: { stage: number; checkpoint?: Checkpoint; layer: LayerInfo } | undefined;
  keys.forEach((k, stage) => {
    for (const checkpoint of k.checkpoints) {
      const layer = usable(checkpoint.key, checkpoint.uncacheable);
      if (layer) deepest = { stage, checkpoint, layer };
    }
    const layer = usable(k.key, k.uncacheable);
    if (layer) deepest = { stage, layer };
  });
  return deepest;
}

/** Decides per stage (pure over the key list and a layer lookup). */
export function decideStages(keys: readonly StageKey[], lookup: Lookup, opts: DecideOptions): StageDecision[] {
  const deepest = deepestLayer(keys, lookup, opts);
  return keys.map((k, i) => {
    const base = { stage: k.stage.name, key: k.key };
    if (deepest && i < deepest.stage) return { ...base, reuse: true, reason: `from cache (inside a later layer)${unseenNote(k.unseen)}` };
    if (deepest && i === deepest.stage) {
      const layer = `layer ${deepest.layer.key.slice(0, 12)}, ${age(opts.now - deepest.layer.createdMs)} old`;
      if (!deepest.checkpoint) return { ...base, reuse: true, reason: `from cache (${layer})${unseenNote(k.unseen)}` };
      // The hooks up to the checkpoint all have checkpoints of their own (only the last has none).
      const ranBefore = k.checkpoints.slice(0, deepest.checkpoint.index + 1).map((c) => `${c.afterHook} `);
      const reused = k.unseen.filter((hook) => ranBefore.some((name) => hook.startsWith(name)));
      return { ...base, reuse: false, resume: deepest.checkpoint, reason: `runs after ${deepest.checkpoint.afterHook}: up to it from cache (${layer})${unseenNote(reused)}` };
    }
    return { ...base, reuse: false, reason: whyRuns(k, lookup(k.key), opts) };
  });
}

/** Reused work of host hooks whose host reads kiln cannot see: the plan says so. */
function unseenNote(hooks: readonly string[]): string {
  if (!hooks.length) return '';
  return `; kiln cannot see what ${hooks.join(', ')} read${hooks.length === 1 ? 's' : ''} on the host: list it in the flavour's cache-inputs (or the hook in always-run)`;
}

function whyRuns(k: StageKey, layer: LayerInfo | undefined, opts: DecideOptions): string {
  if (opts.noCache) return 'runs: --no-cache';
  if (k.uncacheable) return `runs: ${k.uncacheable}`;
  if (layer && opts.now - layer.createdMs > opts.maxAgeMs) return `runs: cached layer is ${age(opts.now - layer.createdMs)} old (max ${age(opts.maxAgeMs)})`;
  if (!layer) return 'runs: no cached layer for its inputs';
  return 'runs: an earlier stage runs';
}

function age(ms: number): string {
  const minutes = Math.round(ms / 60000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}

/** Storing a layer costs about as much as a short stage: one is kept at a stage's end when the
 * work since the last layer took at least this long... */
export const STORE_AFTER_MS = 1500;
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
export async function buildRootStages(ctx: BuildContext, keys: readonly StageKey[]): Promise<void> {
  const { request } = ctx.plan;
  const decisions = decideStages(keys, (key) => findLayer(request.imageCache, key), { noCache: request.noCache, maxAgeMs: maxLayerAge(request), now: Date.now() });
  const keeper = new LayerKeeper(ctx);
  const checkpointAfter = request.checkpointSeconds * 1000;
  const resumeAt = decisions.findLastIndex((d) => d.reuse || d.resume);
  if (resumeAt >= 0) {
    const decision = decisions[resumeAt]!;
    const layer = findLayer(request.imageCache, decision.resume?.key ?? decision.key)!;
    await keeper.restore(layer, decision.resume ? `${decision.stage}, after ${decision.resume.afterHook}` : decision.stage);
    await refreshHookTree(ctx);
  }
  for (const [index, decision] of decisions.entries()) {
    if (decision.reuse) {
      ctx.emit({ type: 'phase-cached', phase: decision.stage, reason: decision.reason });
      continue;
    }
    if (decision.resume) ctx.emit({ type: 'info', message: `${decision.stage}: ${decision.reason}` });
    const key = keys[index]!;
    const checkpointDue = (hookIndex: number): boolean => {
      const found = key.checkpoints[hookIndex];
      return !request.noCache && found !== undefined && !found.uncacheable && keeper.sinceLast() >= checkpointAfter;
    };
    await runStage(ctx, decision.stage, decision.resume ? decision.resume.index + 1 : 0, {
      pauseAfter: checkpointDue,
      keep: (hookIndex) => {
        const checkpoint = key.checkpoints[hookIndex]!;
        return keeper.store(checkpoint.key, `${decision.stage} checkpoint (after ${checkpoint.afterHook})`);
      },
    });
    if (!request.noCache && worthStoring(keys, index, keeper.sinceLast())) await keeper.store(key.key, decision.stage);
  }
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
async function runStage(ctx: BuildContext, stage: string, from: number, pauses: Pauses): Promise<void> {
  let next = from;
  for (;;) {
    const ran = await runStageSegment(ctx, stage, { from: next, pauseAfter: pauses.pauseAfter });
    if (ran.pausedAfter === undefined) return;
    await pauses.keep(ran.pausedAfter);
    next = ran.pausedAfter + 1;
  }
}

/** One stretch of a stage, in its own chroot session for chroot stages. */
async function runStageSegment(ctx: BuildContext, stage: string, options: PhaseRunOptions): Promise<PhaseRun> {
  if (stage === 'root') return createRoot(ctx, options);
  if (stage === 'extra-data' || stage === 'post-root') return runPhaseHooks(ctx, stage, options);
  await using chroot = new ResourceStack();
  await enterChroot(chroot, ctx.paths.root, ctx.log);
  // Awaited inside the `await using` block: a returned promise would outlive the chroot.
  if (stage === 'packages') {
    await installExtraPackages(ctx);
    return { outputs: {}, pausedAfter: undefined };
  }
  const ran = await runPhaseHooks(ctx, stage, options);
  if (stage === 'post-install' && ran.pausedAfter === undefined) await installFirstBootHooks(ctx);
  return ran;
}
