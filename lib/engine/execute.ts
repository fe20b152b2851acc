// executeBuild(): the build, as a readable list of steps over one BuildContext. Every resource
// any step acquires is on a ResourceStack that is released in reverse order however the build
// ends: success, a failing hook, Ctrl-C or SIGTERM.
import { InterruptedError, KilnError } from '../errors.js';
import { FileLog } from '../log.js';
import type { BuildPlan } from '../plan/build-plan.js';
import { ConsoleReporter } from '../report/console.js';
import { fanOut, type EventSink } from '../report/events.js';
import { renderTiming, TimingCollector } from '../report/timing.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { buildPaths, type BuildContext } from './context.js';
import { preflight } from './preflight.js';
import { prepareHookTree } from './steps/hook-tree.js';
import { buildRootStages } from './steps/root-stages.js';
import { stageKeys } from '../cache/stage-inputs.js';
import { timed } from './steps/timed.js';
import { decideTmpfs, makeWorkDir, memTotal } from './work-dir.js';
import { bootTest, finishBuild } from './steps/finish.js';
import { filesystemImagesUpToDate } from './steps/filesystem-images.js';
import { cachedFirmwares, findOutputs, outputKey, restoreOutputs, storeOutputs } from '../cache/output-cache.js';
import type { StageKey } from '../cache/keys.js';
import { packageListFiles } from './steps/hook-tree.js';
import { outputCacheText } from './block-device-config.js';
import { writeChecksums } from '../outputs/checksum.js';
import { outputBytes } from '../outputs/output-size.js';
import { tmpdir } from 'node:os';
import { clearLeftovers, describeCleared } from '../resources/leftovers.js';

/** How the CLI runs a build. */
export interface ExecuteOptions {
  signal: AbortSignal;
  forceSignal: AbortSignal;
  debug: boolean;
  /** Extra event sinks (tests, the build service). */
  sinks?: EventSink[];
  /** Where progress goes (default stderr). */
  stream?: NodeJS.WriteStream;
}

/** Runs a planned build; resolves to the exit code (errors are thrown as KilnErrors). */
export async function executeBuild(plan: BuildPlan, options: ExecuteOptions): Promise<number> {
  const started = Date.now();
  const reporter = new ConsoleReporter(options.stream ?? process.stderr);
  const timing = new TimingCollector();
  const emit = fanOut(reporter.sink, timing.sink, ...(options.sinks ?? []));
  const log = new FileLog(plan.request.logfile ?? `${plan.request.imageName}.log`);
  try {
    for (const warning of plan.warnings) emit({ type: 'warning', message: warning });
    await preflight(plan, log);
    await runSteps(plan, options, emit, log);
    reporter.close();
    const peakMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stderr.write(`${renderTiming(timing.rows, (Date.now() - started) / 1000)}\n\nkiln peak memory: ${peakMiB} MiB\nbuild log: ${log.path}\n`);
    return 0;
  } catch (error) {
    reporter.close();
    throw interruptedOr(error, options.signal);
  } finally {
    log.close();
  }
}

/** The output cache entry of a build, unless caching is off or the root cannot be cached. */
function outputCacheEntry(plan: BuildPlan, keys: readonly StageKey[]): { key: string } | undefined {
  const last = keys[keys.length - 1]!;
  if (plan.request.noCache || last.uncacheable) return undefined;
  return { key: outputKey(plan, last.key, outputCacheText(plan)) };
}

async function writeChecksumsIfAsked(ctx: BuildContext): Promise<void> {
  if (!ctx.plan.request.checksum) return;
  for (const o of ctx.plan.outputs) {
    // A folder output (the oci layout) is content-addressed already: its blobs are named by digest.
    if ((await outputBytes(o.path)).folder) continue;
    await timed(ctx, `checksum ${o.format}`, () => writeChecksums(o.path));
  }
}

/** A hook killed because of Ctrl-C is reported as the interruption, not as a hook failure. */
function interruptedOr(error: unknown, signal: AbortSignal): unknown {
  if (signal.aborted && signal.reason instanceof InterruptedError && !(error instanceof InterruptedError)) return signal.reason;
  if (error instanceof Error && error.name === 'AbortError' && signal.reason instanceof KilnError) return signal.reason;
  return error;
}

async function runSteps(plan: BuildPlan, options: ExecuteOptions, emit: EventSink, log: FileLog): Promise<void> {
  await using stack = new ResourceStack();
  for (const cleared of await clearLeftovers(tmpdir(), log)) emit({ type: 'warning', message: describeCleared(cleared) });
  const tmpfs = decideTmpfs(memTotal(), plan.request.minTmpfsBytes, plan.request.noTmpfs);
  const work = await makeWorkDir(stack, tmpfs, log);
  log.line('kiln', `work folder ${work}: ${tmpfs.reason}`);
  const ctx: BuildContext = {
    plan, paths: buildPaths(work), log, emit, stack,
    signal: options.signal, forceSignal: options.forceSignal, runtimeEnv: {},
  };
  const keys = stageKeys(plan, await packageListFiles(plan));
  const outputs = outputCacheEntry(plan, keys);
  const images = plan.request.filesystemImages;
  if (outputs && images && (await filesystemImagesUpToDate(images, outputs.key))) {
    emit({ type: 'info', message: `nothing to do: ${images.metadataPath} lists images built from these same inputs, and they are all there` });
    return;
  }
  const cached = outputs ? findOutputs(plan.request.imageCache, outputs.key, plan.outputs.map((o) => o.format)) : undefined;
  if (outputs && cached) {
    await timed(ctx, 'copy unchanged outputs from the cache', () => restoreOutputs(plan.request.imageCache, outputs.key, cached, plan.outputs, log));
    for (const o of plan.outputs) emit({ type: 'output', format: o.format, path: o.path, bytes: (await outputBytes(o.path)).bytes });
    await writeChecksumsIfAsked(ctx);
    await bootTest(ctx, cachedFirmwares(plan.request.imageCache, outputs.key));
    return;
  }
  await timed(ctx, 'prepare hook tree', () => prepareHookTree(ctx));
  await buildRootStages(ctx, keys);
  const firmwares = await finishBuild(ctx, outputs?.key);
  if (outputs) await timed(ctx, 'keep the outputs in the cache', () => storeOutputs(plan.request.imageCache, outputs.key, plan.outputs, log, firmwares));
  await bootTest(ctx, firmwares);
}
