// executeBuild(): the build, as a readable list of steps over one BuildContext. Every resource
// any step acquires is on a ResourceStack that is released in reverse order however the build
// ends: success, a failing hook, Ctrl-C or SIGTERM.
import { InterruptedError, KilnError } from '../errors.js';
import { FileLog, type LogSink } from '../log.js';
import type { ResolvedBuild } from '../plan/resolved-build.js';
import { ConsoleReporter } from '../report/console.js';
import { fanOut, type EventSink } from '../report/events.js';
import { renderTiming, TimingCollector } from '../report/timing.js';
import { FailedWithCleanup, ResourceStack, unwrapCleanup } from '../resources/disposable-stack.js';
import { buildPaths, type BuildContext } from './context.js';
import { preflight } from './preflight.js';
import { prepareHookTree } from './steps/prepare-hook-tree.js';
import { buildRootStages } from './steps/root-stages.js';
import { timed } from './steps/timed.js';
import { decideTmpfs, makeWorkDir, memTotal } from './work-dir.js';
import { bootTest, finishBuild } from './steps/finish.js';
import { findOutputs, restoreOutputs, storeOutputs } from '../cache/output-cache.js';
import { writeChecksums } from '../outputs/checksum.js';
import { BuildRecord } from '../manifest/record.js';
import { sidecarFiles, writeManifests } from './steps/manifests.js';
import { outputBytes } from '../outputs/output-size.js';
import { currentOutput, OutputSet } from '../outputs/partial.js';
import { tmpdir } from 'node:os';
import { trimCache } from '../cache/size-limit.js';
import { formatBytes } from '../config/size.js';
import { trackBuildProcesses } from '../resources/build-processes.js';
import { clearLeftovers, describeCleared, type Cleared } from '../resources/leftovers.js';

/** How the CLI runs a build. */
export interface ExecuteOptions {
  signal: AbortSignal;
  forceSignal: AbortSignal;
  debug: boolean;
  /** Extra event sinks (tests, the build service). */
  sinks?: EventSink[];
  /** Where progress goes (default stderr). */
  stream?: NodeJS.WriteStream;
  /** Gets every line of the build log as well (the build VM's agent forwards them to the host). */
  logMirror?: LogSink;
  /** Reuse layers and outputs from the cache, store none (the build VM when the host's cache is
   * read-only for the user: what it stored would be thrown away with the VM). */
  readOnlyCache?: boolean;
  /** Store the outputs in the cache (default true). The build VM leaves that to the host, which
   * has them on its own disk: through the VM's shares the image would cross three times. */
  keepOutputs?: boolean;
  /** An empty folder to build in that the caller disposes of (the build VM's scratch disk, thrown
   * away whole: removing the tree file by file would only cost time there). */
  workDir?: string;
  /** Folders whose dead kiln temp folders are cleared before the build (default TMPDIR; the build
   * VM passes none: it is new for every build, and what it sees of the host's are not its own). */
  leftoverFolders?: string[];
}

/** Runs a resolved build on this host; resolves to the exit code (errors are thrown as KilnErrors).
 * vm/run-build.ts runs a --vm build in the build VM instead. */
export async function executeBuild(plan: ResolvedBuild, options: ExecuteOptions): Promise<number> {
  // What the manifest and the SBOMs report is collected from the build's own events.
  const record = new BuildRecord();
  return reportedBuild(plan, { ...options, sinks: [record.sink, ...(options.sinks ?? [])] }, async (emit, log) => {
    await preflight(plan, log);
    await runSteps(plan, options, emit, log, record);
  });
}

/** The frame of every build (here or in the build VM): progress on the terminal, the log file,
 * timings, interruptions. */
export async function reportedBuild(plan: ResolvedBuild, options: ExecuteOptions, body: (emit: EventSink, log: FileLog) => Promise<void>): Promise<number> {
  const started = Date.now();
  const reporter = new ConsoleReporter(options.stream ?? process.stderr);
  const timing = new TimingCollector();
  const emit = fanOut(reporter.sink, timing.sink, ...(options.sinks ?? []));
  // The output name is locked before anything is written under it (NAME.log included); the
  // outputs are staged beside it and put in place together once the whole build has succeeded.
  await using outputs = await OutputSet.open(plan.request.imageName);
  const log = new FileLog(plan.request.logfile ?? `${plan.request.imageName}.log`, options.logMirror);
  try {
    for (const warning of plan.warnings) emit({ type: 'warning', message: warning });
    await outputs.run(() => body(emit, log));
    await outputs.commit();
    const peakMiB = Math.round(process.resourceUsage().maxRSS / 1024);
    reporter.finish(`${renderTiming(timing.rows, (Date.now() - started) / 1000)}\n\nkiln peak memory: ${peakMiB} MiB\nbuild log: ${log.path}`);
    return 0;
  } catch (error) {
    const failure = interruptedOr(error, options.signal);
    // What ran, up to the step that failed or was stopped (the error itself is printed after).
    const rows = timing.rowsUntilNow(unwrapCleanup(failure).primary instanceof InterruptedError ? 'stopped' : 'failed');
    reporter.finish(`${renderTiming(rows, (Date.now() - started) / 1000)}\n\nbuild log: ${log.path}`);
    throw failure;
  } finally {
    log.close();
  }
}

async function writeChecksumsIfAsked(ctx: BuildContext): Promise<void> {
  if (!ctx.plan.request.checksum) return;
  for (const o of ctx.plan.outputs) {
    // A folder output (the oci layout) is content-addressed already: its blobs are named by digest.
    if ((await outputBytes(currentOutput(o.path))).folder) continue;
    await timed(ctx, `checksum ${o.format}`, () => writeChecksums(o.path));
  }
}

/** A hook killed because of Ctrl-C is reported as the interruption, not as a hook failure. */
function interruptedOr(error: unknown, signal: AbortSignal): unknown {
  // The clean-up failures that followed the error are kept: the user must learn what is left.
  const { primary, cleanup } = unwrapCleanup(error);
  if (cleanup.length) return new FailedWithCleanup(interruptedOr(primary, signal), cleanup);
  if (signal.aborted && signal.reason instanceof InterruptedError && !(error instanceof InterruptedError)) return signal.reason;
  if (error instanceof Error && error.name === 'AbortError' && signal.reason instanceof KilnError) return signal.reason;
  return error;
}

/** A work folder of its own for the build: on tmpfs when there is memory enough. */
async function newWorkDir(plan: ResolvedBuild, stack: ResourceStack, log: FileLog): Promise<string> {
  const tmpfs = decideTmpfs(memTotal(), plan.request.minTmpfsBytes, plan.request.noTmpfs);
  const work = await makeWorkDir(stack, tmpfs, log);
  log.line('kiln', `work folder ${work}: ${tmpfs.reason}`);
  return work;
}

/** Clears the dead kiln temp folders of each of `folders`. */
async function clearFolders(folders: string[], log: FileLog): Promise<Cleared[]> {
  const cleared: Cleared[] = [];
  for (const folder of folders) cleared.push(...(await clearLeftovers(folder, log)));
  return cleared;
}

async function runSteps(plan: ResolvedBuild, options: ExecuteOptions, emit: EventSink, log: FileLog, record: BuildRecord): Promise<void> {
  await using stack = new ResourceStack();
  // Before the build's own cgroup: the cleaner names the processes it stops in a dead build's folder.
  for (const cleared of await clearFolders(options.leftoverFolders ?? [tmpdir()], log)) emit({ type: 'warning', message: describeCleared(cleared) });
  // Every process the build starts from here on is in its cgroup; what is still alive at the end
  // is stopped before anything else is released (a stray process could hold a mount busy), and
  // again, with the cgroup's removal, by the stack if that first stop failed.
  const processes = await trackBuildProcesses(stack, log, (message) => emit({ type: 'warning', message }));
  try {
    await runTrackedSteps(plan, options, emit, log, record, stack);
  } finally {
    await processes.stop().catch((error: unknown) => log.line('kiln', `stopping the build's processes: ${String(error)}`));
  }
}

async function runTrackedSteps(plan: ResolvedBuild, options: ExecuteOptions, emit: EventSink, log: FileLog, record: BuildRecord, stack: ResourceStack): Promise<void> {
  const work = options.workDir ?? (await newWorkDir(plan, stack, log));
  const ctx: BuildContext = {
    plan, paths: buildPaths(work), log, emit, stack,
    signal: options.signal, forceSignal: options.forceSignal, runtimeEnv: {}, readOnlyCache: options.readOnlyCache ?? false, record,
  };
  record.markRoot = ctx.paths.root;
  const { outputKey, outputsFromCache, cachedFirmwares, imagesUpToDate } = plan.cache;
  const images = plan.request.filesystemImages;
  if (images && imagesUpToDate) {
    emit({ type: 'info', message: `nothing to do: ${images.metadataPath} lists images built from these same inputs, and they are all there` });
    return;
  }
  const sidecars = sidecarFiles(plan);
  // Every build writes manifest.json: a cached set without it was kept by an older kiln that did not
  // keep the description files (NAME.d/dib-manifests among them), so it is built again, not half restored.
  const required = [...plan.outputs.map((o) => o.format), 'manifest.json'];
  const optional = sidecars.map((s) => s.format).filter((f) => f !== 'manifest.json');
  if (outputKey && outputsFromCache && findOutputs(plan.request.imageCache, outputKey, required, optional)) {
    const restored = await timed(ctx, 'copy unchanged outputs from the cache', () =>
      restoreOutputs(plan.request.imageCache, outputKey, { formats: required, optional }, [...plan.outputs, ...sidecars], log));
    if (restored) {
      for (const o of plan.outputs) emit({ type: 'output', format: o.format, path: o.path, bytes: (await outputBytes(currentOutput(o.path))).bytes });
      await writeChecksumsIfAsked(ctx);
      await bootTest(ctx, cachedFirmwares);
      return;
    }
    emit({ type: 'info', message: `the cached outputs ${outputKey.slice(0, 12)} left the cache before they could be copied (a concurrent prune or trim); building them` });
  }
  await timed(ctx, 'prepare hook tree', () => prepareHookTree(ctx));
  await buildRootStages(ctx);
  const firmwares = await finishBuild(ctx);
  const described = await writeManifests(ctx);
  if (outputKey && !ctx.readOnlyCache && options.keepOutputs !== false) await timed(ctx, 'keep the outputs in the cache', () => storeOutputs(plan.request.imageCache, outputKey, [...plan.outputs, ...described], log, firmwares));
  if (!ctx.readOnlyCache) await keepCacheWithinLimit(plan.request, emit);
  await bootTest(ctx, firmwares);
}

/** Once a build stored its layers and outputs, trims the cache to KILN_CACHE_MAX_SIZE, saying what went. */
export async function keepCacheWithinLimit(request: { imageCache: string; cacheMaxBytes: number }, emit: EventSink): Promise<void> {
  if (!request.cacheMaxBytes) return;
  const { removed, keptBytes } = await trimCache(request.imageCache, request.cacheMaxBytes);
  if (!removed.length) return;
  const freed = formatBytes(removed.reduce((sum, e) => sum + e.bytes, 0));
  emit({ type: 'info', message: `cache: removed ${removed.length} least recently used layer(s) and output set(s), ${freed}, to keep ${request.imageCache} under ${formatBytes(request.cacheMaxBytes)} (KILN_CACHE_MAX_SIZE); ${formatBytes(keptBytes)} kept` });
}
