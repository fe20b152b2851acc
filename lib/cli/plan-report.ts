// The dry run's view of a plan: the plan itself plus, per phase, whether it will come from the
// layer cache and why not.
import { findLayer } from '../cache/layer-store.js';
import { stageKeys } from '../cache/stage-inputs.js';
import { packageListFiles } from '../engine/steps/hook-tree.js';
import { decideStages, maxLayerAge, type StageDecision } from '../engine/steps/root-stages.js';
import type { BuildPlan } from '../plan/build-plan.js';
import { planToJson, planToText } from '../plan/print.js';
import { findOutputs, outputKey } from '../cache/output-cache.js';
import { outputCacheText } from '../engine/block-device-config.js';
import { filesystemImagesUpToDate } from '../engine/steps/filesystem-images.js';

/** Cache decisions for every stage of the image root, as the build would make them now. */
export async function cacheDecisions(plan: BuildPlan): Promise<StageDecision[]> {
  const keys = stageKeys(plan, await packageListFiles(plan));
  const { imageCache, noCache } = plan.request;
  return decideStages(keys, (key) => findLayer(imageCache, key), { noCache, maxAgeMs: maxLayerAge(plan.request), now: Date.now() });
}

/** Whether the outputs would be copied from the cache as they are. */
function outputsFromCache(plan: BuildPlan, decisions: StageDecision[]): boolean {
  const last = decisions[decisions.length - 1];
  if (!last || plan.request.noCache) return false;
  const key = outputKey(plan, last.key, outputCacheText(plan));
  return findOutputs(plan.request.imageCache, key, plan.outputs.map((o) => o.format)) !== undefined;
}

/** Whether per-mount-point images on disk were built from exactly these inputs (nothing to do). */
async function imagesUpToDate(plan: BuildPlan, decisions: StageDecision[]): Promise<boolean> {
  const last = decisions[decisions.length - 1];
  const images = plan.request.filesystemImages;
  if (!last || !images || plan.request.noCache) return false;
  return filesystemImagesUpToDate(images, outputKey(plan, last.key, outputCacheText(plan)));
}

/** Renders the dry run, as text or as the JSON document. */
export async function renderDryRun(plan: BuildPlan, json: boolean): Promise<string> {
  const decisions = await cacheDecisions(plan);
  const unchanged = outputsFromCache(plan, decisions);
  const upToDate = await imagesUpToDate(plan, decisions);
  if (json) {
    const cache = decisions.map((d) => ({ phase: d.stage, key: d.key, fromCache: d.reuse, ...(d.resume ? { resumeAfter: d.resume.afterHook } : {}), reason: d.reason }));
    return `${JSON.stringify(planToJson(plan, { cache, outputsFromCache: unchanged, ...(plan.request.filesystemImages ? { upToDate } : {}) }), null, 2)}\n`;
  }
  if (upToDate) {
    const notes = new Map(plan.phases.map((p) => [p.name, 'skipped: the images are up to date']));
    return `${planToText(plan, notes)}\nNothing to do: ${plan.request.filesystemImages!.metadataPath} lists images built from these same inputs, and they are all there.\n`;
  }
  if (unchanged) {
    const notes = new Map(plan.phases.map((p) => [p.name, 'skipped: nothing changed, the outputs come from the cache']));
    return `${planToText(plan, notes)}\nNothing changed since a build with these inputs: its outputs are copied from the cache.\n`;
  }
  const notes = new Map<string, string>();
  for (const d of decisions) notes.set(d.stage, d.reason);
  const text = planToText(plan, notes);
  const packages = decisions.find((d) => d.stage === 'packages');
  const extra = plan.request.packages.length && packages ? `\n-p packages (${plan.request.packages.join(' ')}): ${packages.reason}\n` : '';
  return text + extra;
}
