// The image root, stage by stage, with the layer cache: before anything runs, the deepest stage
// whose stored layer still matches its key is restored, and only the stages after it run; after
// each stage that ran, its layer is stored. Chroot stages each get their own chroot session, so
// a layer is always taken with nothing mounted in the tree.
import { DEFAULT_MAX_AGE_MS, findLayer, restoreLayer, storeLayer, type LayerInfo } from '../../cache/layer-store.js';
import type { StageKey } from '../../cache/keys.js';
import { ResourceStack } from '../../resources/disposable-stack.js';
import { enterChroot } from '../../resources/chroot.js';
import type { BuildContext } from '../context.js';
import { runPhase } from '../phase-runner.js';
import { createRoot, installExtraPackages, installFirstBootHooks } from './root-tree.js';
import { timed } from './timed.js';

/** What the plan says about one stage: reuse a layer, or run and why. */
export interface StageDecision {
  stage: string;
  key: string;
  reuse: boolean;
  reason: string;
}

/** Max layer age from KILN_CACHE_MAX_AGE_DAYS, else a week. */
export function maxLayerAge(env: Record<string, string | undefined>): number {
  const days = Number(env.KILN_CACHE_MAX_AGE_DAYS);
  return Number.isFinite(days) && days > 0 ? days * 24 * 3600 * 1000 : DEFAULT_MAX_AGE_MS;
}

/** Decides per stage (pure over the key list and a layer lookup). */
export function decideStages(keys: readonly StageKey[], lookup: (key: string) => LayerInfo | undefined, opts: { noCache: boolean; maxAgeMs: number; now: number }): StageDecision[] {
  let deepest = -1;
  if (!opts.noCache) {
    keys.forEach((k, i) => {
      const layer = lookup(k.key);
      if (!k.uncacheable && layer && opts.now - layer.createdMs <= opts.maxAgeMs) deepest = i;
    });
  }
  return keys.map((k, i) => {
    const layer = lookup(k.key);
    let reason: string;
    if (i <= deepest) reason = i === deepest ? `from cache (layer ${k.key.slice(0, 12)}, ${age(opts.now - layer!.createdMs)} old)` : 'from cache (inside a later layer)';
    else if (opts.noCache) reason = 'runs: --no-cache';
    else if (k.uncacheable) reason = `runs: ${k.uncacheable}`;
    else if (layer && opts.now - layer.createdMs > opts.maxAgeMs) reason = `runs: cached layer is ${age(opts.now - layer.createdMs)} old (max ${age(opts.maxAgeMs)})`;
    else if (!layer) reason = 'runs: no cached layer for its inputs';
    else reason = 'runs: an earlier stage runs';
    return { stage: k.stage.name, key: k.key, reuse: i <= deepest, reason };
  });
}

function age(ms: number): string {
  const minutes = Math.round(ms / 60000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}

/** Builds the image root through post-root.d, reusing and storing layers. */
export async function buildRootStages(ctx: BuildContext, keys: readonly StageKey[]): Promise<void> {
  const { request } = ctx.plan;
  const decisions = decideStages(keys, (key) => findLayer(request.imageCache, key), { noCache: request.noCache, maxAgeMs: maxLayerAge(request.env), now: Date.now() });
  const resumeAt = decisions.findLastIndex((d) => d.reuse);
  if (resumeAt >= 0) {
    const layer = findLayer(request.imageCache, decisions[resumeAt]!.key)!;
    await timed(ctx, `restore cached layer (${decisions[resumeAt]!.stage})`, () => restoreLayer({ cacheDir: request.imageCache, layer, work: ctx.paths.work, log: ctx.log }));
  }
  for (const [index, decision] of decisions.entries()) {
    if (index <= resumeAt) {
      ctx.emit({ type: 'phase-cached', phase: decision.stage, reason: decision.reason });
      continue;
    }
    const started = Date.now();
    await runStage(ctx, decision.stage);
    if (!request.noCache && worthStoring(keys, index, Date.now() - started)) await store(ctx, decision);
  }
  // The finished root is always kept, so that an unchanged rebuild resumes after the last stage.
  const last = decisions[decisions.length - 1]!;
  if (!request.noCache && resumeAt < decisions.length - 1 && !keys[keys.length - 1]!.uncacheable && !findLayer(request.imageCache, last.key)) {
    await store(ctx, last);
  }
}

async function store(ctx: BuildContext, decision: StageDecision): Promise<void> {
  const { request, flavours } = ctx.plan;
  await timed(ctx, `store ${decision.stage} layer`, () =>
    storeLayer({ cacheDir: request.imageCache, key: decision.key, stage: decision.stage, flavours: flavours.map((f) => f.name).join(' '), work: ctx.paths.work, log: ctx.log }),
  );
}

/** Storing a layer costs about as much as a short stage: keep one after slow stages and the last. */
export const STORE_AFTER_MS = 1500;

function worthStoring(keys: readonly StageKey[], index: number, tookMs: number): boolean {
  const key = keys[index]!;
  if (key.uncacheable) return false;
  if (index > 0 && keys[index - 1]!.key === key.key) return false;
  return tookMs >= STORE_AFTER_MS;
}

async function runStage(ctx: BuildContext, stage: string): Promise<void> {
  if (stage === 'root') return createRoot(ctx);
  if (stage === 'post-root') {
    await runPhase(ctx, 'post-root');
    return;
  }
  await using chroot = new ResourceStack();
  await enterChroot(chroot, ctx.paths.root, ctx.log);
  // Awaited inside the `await using` block: a returned promise would outlive the chroot.
  if (stage === 'packages') {
    await installExtraPackages(ctx);
    return;
  }
  await runPhase(ctx, stage);
  if (stage === 'post-install') await installFirstBootHooks(ctx);
}
