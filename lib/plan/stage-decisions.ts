// Which stages of the image root come from the layer cache: the deepest stored layer whose key
// still matches (a stage's end, or a checkpoint after a slow hook inside a stage) is restored,
// and only what comes after it runs. Pure over the keys and a layer lookup.
import type { LayerInfo } from '../cache/layer-store.js';
import type { Checkpoint, StageKey } from '../cache/keys.js';
import type { BuildRequest } from '../config/build-request.js';

/** What the plan says about one stage: reuse its layer, resume it from a checkpoint, or run it, and why. */
export interface StageDecision {
  stage: string;
  key: string;
  reuse: boolean;
  /** The stage runs from the hook after this checkpoint, whose layer is restored. */
  resume?: Checkpoint;
  /** The layer the build restores before this stage's work (the deepest usable one). */
  layer?: LayerInfo;
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
      if (!deepest.checkpoint) return { ...base, reuse: true, layer: deepest.layer, reason: `from cache (${layer})${unseenNote(k.unseen)}` };
      // The hooks up to the checkpoint all have checkpoints of their own (only the last has none).
      const ranBefore = k.checkpoints.slice(0, deepest.checkpoint.index + 1).map((c) => `${c.afterHook} `);
      const reused = k.unseen.filter((hook) => ranBefore.some((name) => hook.startsWith(name)));
      return { ...base, reuse: false, resume: deepest.checkpoint, layer: deepest.layer, reason: `runs after ${deepest.checkpoint.afterHook}: up to it from cache (${layer})${unseenNote(reused)}` };
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
