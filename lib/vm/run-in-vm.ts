// --vm: the build runs in a throwaway VM (IMG's KVM workers, debos's fakemachine). The host
// only moves inputs in and outputs out: it makes sure the builder image exists, creates a qcow2
// overlay of it and a scratch disk in a kiln-vm temp folder, boots it (KVM when it works, TCG
// otherwise), shares the flavours, the cache and an output folder over virtio-9p, hands the
// guest agent the request, shows the events the guest streams as a host build shows its own,
// keeps the cache files the guest made, and puts the outputs where a host build puts them.
// Every piece is on the stack: whatever happens, QEMU is stopped and the folder removed.
import { existsSync, realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { hostInputFiles } from '../plan/cache-keys.js';
import type { BuildRequest } from '../config/build-request.js';
import { storeOutputs } from '../cache/output-cache.js';
import { executeBuild, keepCacheWithinLimit, type ExecuteOptions } from '../engine/execute.js';
import { sidecarFiles } from '../engine/steps/manifests.js';
import { timed } from '../engine/steps/timed.js';
import { KilnError } from '../errors.js';
import { run } from '../exec/run.js';
import { checkTools, requiredTools } from '../exec/host-tools.js';
import { builtInFlavoursDir } from '../flavours/search-path.js';
import type { LogSink } from '../log.js';
import type { BuildPlan } from '../plan/build-plan.js';
import type { ResolvedBuild } from '../plan/resolved-build.js';
import type { BuildEvent, EventSink } from '../report/events.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { clearLeftovers, describeCleared } from '../resources/leftovers.js';
import { makeTempDir } from '../resources/temp-dir.js';
import { chooseAccel, type AccelChoice } from './accel.js';
import { ensureBuilder, type BuilderImage } from './builder-image.js';
import { importCacheAdditions, writableFolder } from './cache-sync.js';
import { blockDeviceConfigFile, hostOutputPath, hostPathsIn, planGuestJob } from './guest-job.js';
import { hostLeftoverFolders, INCOMING_FOLDER } from './leftovers.js';
import { startMachine, type RunningMachine } from './machine-process.js';
import { readTransport } from './output-transport.js';
import { placeOutputs, type OutputPlacement } from './outputs.js';
import { raiseCarried, type GuestMessage } from './protocol.js';
import { bootTestOnHost } from './vm-boot-test.js';
import { workDiskBytes } from './work-disk.js';

/** How long the guest may take to boot to its agent. */
const BOOT_TIMEOUT_MS: Record<AccelChoice['accel'], number> = { kvm: 120_000, tcg: 900_000 };
/** How long a stopped guest gets to release what its build holds before QEMU is killed. */
const STOP_GRACE_MS = 120_000;

/** Runs `plan` (a --vm request) in a build VM. */
export async function runInVm(plan: ResolvedBuild, options: ExecuteOptions, emit: EventSink, log: LogSink & { path: string }): Promise<void> {
  const { request } = plan;
  const ctx = { signal: options.signal, emit };
  checkTools(requiredTools({ tools: new Map([
    ['qemu-system-x86_64', 'to run the build VM (--vm)'], ['qemu-img', 'for the build VM\'s disks (--vm)'], ['setpriv', 'to stop the build VM with kiln (--vm)'],
  ]) }));
  const builder = await ensureBuilder(request, (builderPlan) => executeBuild(builderPlan, { ...options, sinks: [], logMirror: undefined }), emit, log);
  await using stack = new ResourceStack();
  for (const folder of hostLeftoverFolders(request.imageCache)) {
    for (const cleared of await clearLeftovers(folder, log)) emit({ type: 'warning', message: describeCleared(cleared) });
  }
  const dir = await makeTempDir(stack, 'vm', tmpdir(), log);
  const accel = await chooseAccel({ forced: request.vmAccel, workDir: dir, rememberFile: join(request.imageCache, 'vm', 'accel.json'), log });
  if (accel.accel === 'tcg') emit({ type: 'warning', message: `the build VM runs under software emulation (TCG), several times slower than with KVM: ${accel.reason}` });
  emit({ type: 'info', message: `building in a VM: ${describeVm(request, accel)}; builder image ${builder.dir}` });
  const outDir = join(dir, 'out');
  await mkdir(outDir);
  const incomingDir = await makeIncomingFolder(stack, request.imageCache, log);
  if (!incomingDir) emit({ type: 'info', message: `the cache ${request.imageCache} is read-only for this user: what the build adds to it is not kept` });
  const { shares, job } = planGuestJob(plan, {
    incomingDir, inputFiles: inputFiles(plan), flavourDirs: flavourFolders(plan), builtInFlavours: builtInFlavoursDir(),
  }, { prepend: request.kind === 'ramdisk' ? ['ramdisk'] : [], debug: options.debug });
  const machine = await timed(ctx, `start the build VM (${accel.accel.toUpperCase()})`, async () => {
    const disks = await createDisks(dir, builder, workDiskBytes(request), log);
    const started = await startMachine(stack, {
      accel: accel.accel, memoryMiB: request.vmMemoryMiB, cpus: request.vmCpus, kernel: builder.kernel, initrd: builder.initrd,
      systemDisk: disks.system, workDisk: disks.work, transportDisk: disks.transport, shares, agentSocket: 'agent.sock', rootLabel: builder.rootLabel,
    }, dir, log);
    const ready = await untilMessage(started, 'ready', BOOT_TIMEOUT_MS[accel.accel], log, options.signal);
    log.line('vm', `guest agent up (kernel ${ready.kernel})`);
    return started;
  });
  const done = await relayBuild(machine, job, plan, emit, log, options);
  if (incomingDir) await timed(ctx, 'keep the cache files the VM made', () => importCacheAdditions(incomingDir, request.imageCache, log));
  try {
    if (done.error) throw raiseCarried(done.error, (text) => hostPathsIn(text, request, log.path));
    await timed(ctx, 'take the outputs out of the VM', () => readTransport(transportFile(dir), done.outputs ?? [], outDir, log, options.signal));
    await timed(ctx, 'put the outputs in place', () => placeOutputs(outDir, placements(request, done.outputs ?? [], log), log));
    const outputKey = plan.cache.outputKey;
    if (outputKey && incomingDir) await timed(ctx, 'keep the outputs in the cache', () => storeOutputs(request.imageCache, outputKey, keptOutputs(plan), log, plan.disk?.firmwares));
  } finally {
    // After everything this build adds (layers, and outputs when it succeeded), as a host build trims.
    if (incomingDir) await keepCacheWithinLimit(request, ctx.emit);
  }
  await bootTestOnHost(plan, ctx, dir);
}

/** Where each output the guest handed back goes; a stray file in kiln's image folders is left out (and logged). */
function placements(request: BuildRequest, outputs: readonly { name: string }[], log: LogSink): OutputPlacement[] {
  return outputs.flatMap(({ name }) => {
    const target = hostOutputPath(request, name);
    if (target === undefined) log.line('vm', `not an output of this build, left out: ${name}`);
    return target === undefined ? [] : [{ name, target }];
  });
}

function describeVm(request: BuildRequest, accel: AccelChoice): string {
  return `${request.vmCpus} CPU${request.vmCpus > 1 ? 's' : ''}, ${request.vmMemoryMiB} MiB, ${accel.accel === 'kvm' ? 'KVM' : 'software emulation'}`;
}

/** The placed outputs a host build would keep in the cache: the images and the description files. */
function keptOutputs(plan: BuildPlan): { format: string; path: string }[] {
  return [...plan.outputs, ...sidecarFiles(plan).filter((file) => existsSync(file.path))];
}

/** The outputs' transport disk in the VM's folder. */
const transportFile = (dir: string): string => join(dir, 'transport.raw');

/** The overlay of the builder image, the scratch disk and the transport disk (as large, sparse), in the VM's folder. */
async function createDisks(dir: string, builder: BuilderImage, workBytes: number, log: LogSink): Promise<{ system: string; work: string; transport: string }> {
  const system = join(dir, 'system.qcow2');
  const work = join(dir, 'work.qcow2');
  await run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', builder.disk, system], { log, what: 'creating the overlay of the builder image' });
  await run(['qemu-img', 'create', '-q', '-f', 'qcow2', work, String(workBytes)], { log, what: 'creating the build VM\'s scratch disk' });
  await run(['qemu-img', 'create', '-q', '-f', 'raw', transportFile(dir), String(workBytes)], { log, what: 'creating the build VM\'s transport disk' });
  return { system, work, transport: transportFile(dir) };
}

/** The folder inside the cache the guest copies its new cache files to; undefined if the cache is read-only. */
async function makeIncomingFolder(stack: ResourceStack, cacheDir: string, log: LogSink): Promise<string | undefined> {
  await mkdir(cacheDir, { recursive: true }).catch(() => undefined);
  if (!(await writableFolder(cacheDir))) return undefined;
  const parent = join(cacheDir, INCOMING_FOLDER);
  await mkdir(parent, { recursive: true });
  // A kiln temp folder with its owner marker: the leftover cleaner may clear it if this build is killed.
  return makeTempDir(stack, 'vm-import', parent, log);
}

/** Host files the guest's build reads: declared cache inputs and a file:// block-device config. */
function inputFiles(plan: BuildPlan): string[] {
  const config = blockDeviceConfigFile(plan.request);
  const files = [...hostInputFiles(plan).map((f) => resolve(plan.request.cwd, f)), ...(config && existsSync(config) ? [config] : [])];
  return [...new Set(files)];
}

/** Folders holding the plan's flavours: the search path, and the real folders of linked flavours. */
function flavourFolders(plan: BuildPlan): string[] {
  const dirs = plan.searchPath.map((e) => e.dir).filter((d) => existsSync(d));
  for (const flavour of plan.flavours) {
    const real = realpathSync(flavour.path);
    if (real !== flavour.path && !dirs.some((d) => real.startsWith(`${d}/`))) dirs.push(dirname(real));
  }
  return dirs;
}

/** Waits for the guest's message of `type`; fails if QEMU ends first or the time is up. */
async function untilMessage<T extends GuestMessage['type']>(machine: RunningMachine, type: T, timeoutMs: number, log: LogSink & { path: string },
  signal: AbortSignal): Promise<Extract<GuestMessage, { type: T }>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(vmFailed(`the build VM did not start its agent within ${timeoutMs / 1000} s`, machine, log)), timeoutMs);
  });
  const ended = machine.exited.then((how): never => {
    throw vmFailed(`the build VM stopped before its agent started (${how})`, machine, log);
  });
  try {
    return await Promise.race([machine.channel.next(type, signal), ended, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends the job and relays the guest's events and log until it reports the end. */
async function relayBuild(machine: RunningMachine, job: ReturnType<typeof planGuestJob>['job'], plan: BuildPlan, emit: EventSink, log: LogSink & { path: string },
  options: ExecuteOptions): Promise<Extract<GuestMessage, { type: 'done' }>> {
  const rewrite = (text: string): string => hostPathsIn(text, plan.request, log.path);
  machine.channel.onMessage((message) => {
    if (message.type === 'event') emit(hostEvent(message.event, rewrite));
    else if (message.type === 'log') log.line(message.label, message.text);
  });
  const stop = (): void => machine.channel.send({ type: 'stop' });
  options.signal.addEventListener('abort', stop, { once: true });
  options.forceSignal.addEventListener('abort', stop, { once: true });
  machine.channel.send({ type: 'job', job });
  const ended = machine.exited.then((how): never => {
    throw vmFailed(`the build VM stopped before the build finished (${how})`, machine, log);
  });
  const grace = new Promise<never>((_, reject) => {
    const expire = (): void => void setTimeout(() => reject(options.signal.reason as Error), STOP_GRACE_MS).unref();
    if (options.signal.aborted) expire();
    else options.signal.addEventListener('abort', expire, { once: true });
  });
  try {
    const done = await Promise.race([machine.channel.next('done'), ended, grace]);
    if (options.signal.aborted) throw options.signal.reason as Error;
    return done;
  } finally {
    options.signal.removeEventListener('abort', stop);
    options.forceSignal.removeEventListener('abort', stop);
  }
}

/** A guest event with the guest's folders named as the host's. */
function hostEvent(event: BuildEvent, rewrite: (text: string) => string): BuildEvent {
  if (event.type === 'output') return { ...event, path: rewrite(event.path) };
  if (event.type === 'warning' || event.type === 'info') return { ...event, message: rewrite(event.message) };
  return event;
}

function vmFailed(what: string, machine: RunningMachine, log: LogSink & { path: string }): KilnError {
  const error = new KilnError(what, { hint: 'the vm-console lines of the build log show what the build VM printed' });
  const tail = machine.consoleTail().filter((l) => l.trim()).slice(-20);
  error.details = () => ['last lines of the build VM\'s console:', ...tail.map((l) => `  | ${l}`), `full log: ${log.path}`];
  return error;
}
