// resolveBuild(): everything a build will do, decided once, before anything runs: the plan
// (flavours, hooks, environment, outputs), the merged hook tree and its collisions, the
// package-installs lists, the disk (block-device config, layout, bootloader targets), the host
// tools, the cache keys and which stages and outputs come from the cache. The dry run, preflight
// and the executor all read this one object; the executor re-decides nothing, and works out
// only what a build alone can know (the tree's size after install). Every configuration error a
// build can raise before its hooks run is raised here, so a dry run fails exactly as the build
// would. Reads flavours, config files, the cache folder and /dev; writes nothing. The result is
// plain data: JSON.stringify/parse gives it back unchanged.
import type { Firmware } from '../boot-test/qemu.js';
import type { StageKey } from '../cache/keys.js';
import { findLayer } from '../cache/layer-store.js';
import { cachedFirmwares, findOutputs } from '../cache/output-cache.js';
import type { BuildRequest } from '../config/build-request.js';
import { UsageError } from '../errors.js';
import { requiredTools, type RequiredTool } from '../exec/host-tools.js';
import { filesystemImagesUpToDate } from '../fs-images/up-to-date.js';
import { collectPackageInstalls, renderPackageInstallFiles } from '../flavours/package-installs.js';
import type { BuildPlan } from './build-plan.js';
import { outputKey, stageKeys } from './cache-keys.js';
import { diskKeyText, resolveDisk, type ResolvedDisk } from './disk-plan.js';
import { exportedValues } from './hook-environment.js';
import { hookTreeHas, hookTreeSources, type HookTreeSource } from './hook-tree-sources.js';
import { datedPlan } from './load-flavours.js';
import { completePlan } from './host-facts.js';
import { nameMapFiles } from '../flavours/name-maps.js';
import { decideStages, maxLayerAge, type StageDecision } from './stage-decisions.js';
import { toolNeeds } from './tool-needs.js';
import type { VmSummary } from './vm-summary.js';
import type { SourceDate } from '../reproducible/source-date.js';
import { diskSeedInputs } from './disk-seed.js';

/** What the layer and output caches give this build. */
export interface ResolvedCache {
  /** Each root stage's key, with its checkpoints. */
  stages: StageKey[];
  /** Per stage: from the cache, resumed after a checkpoint, or run, and why. */
  decisions: StageDecision[];
  /** The decisions without the chosen layer, then without the next, ...: for a build that finds
   * a layer gone or corrupt when it comes to restore it. */
  fallbacks: StageDecision[][];
  /** Key of the outputs; undefined when they are not cached (--no-cache, an always-run hook). */
  outputKey: string | undefined;
  /** Nothing changed since a build with these inputs: its outputs are copied as they are. */
  outputsFromCache: boolean;
  /** Firmwares the cached disk image boots with (for --boot-test on cached outputs). */
  cachedFirmwares: Firmware[];
  /** Per-mount-point images on disk were built from these same inputs and are all there: nothing to do. */
  imagesUpToDate: boolean;
}

/** A build, completely decided. Plain data. */
export interface ResolvedBuild extends BuildPlan {
  /** The generated package-installs lists, by path in the hook tree. */
  packageLists: Record<string, string>;
  /** The flavours' pkg-map and svc-map files as the tables their commands read, by path in the
   * hook tree (flavours/name-maps.ts). */
  nameMaps: Record<string, string>;
  /** What each flavour puts into the merged hook tree. */
  hookTree: HookTreeSource[];
  /** The disk of a disk-image build. */
  disk: ResolvedDisk | undefined;
  /** Host tools the build runs (preflight checks they are there). */
  tools: RequiredTool[];
  cache: ResolvedCache;
  /** The build VM of a --vm build, added by the commands (vm/vm-plan.ts; the VM layer sits above planning). */
  vm?: VmSummary;
  /** Disk builds: what the seed of the disk's identifiers is made from (with the size, once known). */
  diskSeed: string | undefined;
}

/** How to resolve: flavours put first (ramdisk builds), kiln's own flavours folder (tests), the time. */
export interface ResolveOptions {
  prepend?: string[];
  builtIn?: string;
  /** For layer ages (default: now). */
  now?: number;
  /** The newest input's time as another machine read it (the build VM gets its host's): else read here. */
  newestInput?: SourceDate;
}

/** `-p` installs through the operating system's bin/install-packages: one must be there. */
function checkPackagesInstallable(request: BuildRequest, sources: readonly HookTreeSource[]): void {
  if (!request.packages.length || hookTreeHas(sources, 'bin/install-packages')) return;
  throw new UsageError(`${request.origins.packages ?? '-p'} needs an operating-system flavour that provides bin/install-packages (e.g. debian)`, 'drop the packages or add such a flavour');
}

/** The cache decisions; a broken metadata file is a warning (pushed on `warnings`) and a rebuild. */
function resolveCache(plan: BuildPlan, stages: StageKey[], disk: ResolvedDisk | undefined, now: number, warnings: string[]): ResolvedCache {
  const { request } = plan;
  const problem = (message: string): void => void (warnings.includes(message) || warnings.push(message));
  const decide = (skip: ReadonlySet<string>): StageDecision[] => decideStages(stages, (key) => (skip.has(key) ? undefined : findLayer(request.imageCache, key, problem)),
    { noCache: request.noCache, maxAgeMs: maxLayerAge(request), now });
  const decisions = decide(new Set());
  const last = stages[stages.length - 1]!;
  const key = request.noCache || last.uncacheable ? undefined : outputKey(plan, last.key, diskKeyText(disk));
  const found = key === undefined ? undefined : findOutputs(request.imageCache, key, plan.outputs.map((o) => o.format), [], problem);
  const imagesUpToDate = key !== undefined && request.filesystemImages !== undefined && filesystemImagesUpToDate(request.filesystemImages, key);
  return { stages, decisions, fallbacks: fallbackDecisions(decisions, decide), outputKey: key, outputsFromCache: found !== undefined, cachedFirmwares: found && key ? cachedFirmwares(request.imageCache, key) : [], imagesUpToDate };
}

/**
 * What to do if the chosen layer is gone or corrupt when the build comes to restore it (another
 * build pruned it; its file was damaged): the decisions made without it, then without the next
 * one too, down to none at all. The build takes the first whose layer checks out.
 */
function fallbackDecisions(first: StageDecision[], decide: (skip: ReadonlySet<string>) => StageDecision[]): StageDecision[][] {
  const skip = new Set<string>();
  const fallbacks: StageDecision[][] = [];
  for (let current = first; ;) {
    const layer = current.find((d) => d.layer)?.layer;
    if (!layer) return fallbacks;
    skip.add(layer.key);
    current = decide(skip);
    fallbacks.push(current);
  }
}

/** Resolves a request into the complete build (throws UsageError/ConfigError for bad input). */
export async function resolveBuild(request: BuildRequest, options: ResolveOptions = {}): Promise<ResolvedBuild> {
  const plan = await completePlan(await datedPlan(request, { ...(options.prepend ? { prepend: options.prepend } : {}), ...(options.builtIn ? { builtIn: options.builtIn } : {}), ...(options.newestInput ? { newestInput: options.newestInput } : {}) }));
  const hookTree = hookTreeSources(plan.flavours);
  checkPackagesInstallable(request, hookTree);
  const packageLists = renderPackageInstallFiles(await collectPackageInstalls(plan.flavours, exportedValues(plan.environment), request.arch));
  const nameMaps = nameMapFiles(plan.flavours);
  const disk = resolveDisk(plan);
  const tools = requiredTools(toolNeeds(plan, disk));
  const warnings = [...plan.warnings];
  const cache = resolveCache(plan, stageKeys(plan, packageLists), disk, options.now ?? Date.now(), warnings);
  const diskSeed = disk ? diskSeedInputs(plan, packageLists, diskKeyText(disk)) : undefined;
  return { ...plan, warnings, packageLists, nameMaps, hookTree, disk, tools, cache, diskSeed };
}
