// kiln's agent in the build VM (`node guest-agent.js PORT`, started by kiln-guest-init): says
// it is up, takes the job from the host, mounts what the job shares, runs the very build the
// host planned (the same request, the same flavour paths), forwards every event and log line,
// copies what the build added to the cache back to the host, writes the outputs to the transport
// disk, and reports how it ended (with where each output is). A stop
// message from the host (Ctrl-C, SIGTERM there) aborts the build the way a signal aborts a host
// build: everything the build acquired is released before the agent answers.
import { closeSync, createReadStream, createWriteStream, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { InterruptedError } from '../errors.js';
import { executeBuild } from '../engine/execute.js';
import type { LogSink } from '../log.js';
import { resolveBuild } from '../plan/resolved-build.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { exportCacheAdditions } from './cache-sync.js';
import { Channel } from './channel.js';
import { cacheUpper, mountShares, mountWorkDisk } from './guest-setup.js';
import { writeTransport, type TransportedFile } from './output-transport.js';
import { carryError, type GuestJob, type GuestMessage, type HostMessage } from './protocol.js';

type GuestChannel = Channel<HostMessage, GuestMessage>;

/** Forwards log lines to the host. */
function forwardingLog(channel: GuestChannel): LogSink {
  return { path: undefined, line: (label, text) => channel.send({ type: 'log', label, text }) };
}

/** Ctrl-C on the host arrives as a stop message: the first stops gracefully, the second kills hooks. */
function stopSignals(channel: GuestChannel): { signal: AbortSignal; forceSignal: AbortSignal } {
  const graceful = new AbortController();
  const force = new AbortController();
  channel.onMessage((message) => {
    if (message.type !== 'stop') return;
    if (!graceful.signal.aborted) graceful.abort(new InterruptedError('SIGTERM'));
    else force.abort(new InterruptedError('SIGTERM'));
  });
  return { signal: graceful.signal, forceSignal: force.signal };
}

/** Runs the job; resolves to the exit code and the number of cache files handed back. */
async function runJob(job: GuestJob, channel: GuestChannel, signals: { signal: AbortSignal; forceSignal: AbortSignal }): Promise<{ exitCode: number; exported: number; outputs: TransportedFile[] }> {
  const log = forwardingLog(channel);
  await using stack = new ResourceStack();
  process.env.TMPDIR = await mountWorkDisk(stack, job, log);
  const workDir = join(job.workMount, 'build');
  await mkdir(workDir, { mode: 0o755 });
  await mountShares(stack, job, log);
  const staged = dirname(job.request.imageName);
  await mkdir(staged, { recursive: true, mode: 0o755 });
  // A spec's filesystem images go to folders of their own below it (guest-job.ts).
  const images = job.request.filesystemImages;
  for (const path of images ? [...images.images.map((i) => i.path), images.metadataPath] : []) await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const plan = await resolveBuild(job.request, { builtIn: job.builtInFlavours, ...(job.prepend.length ? { prepend: job.prepend } : {}), ...(job.newestInput ? { newestInput: job.newestInput } : {}) });
  // Progress goes to the host as events; the guest's own console stays quiet.
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() }) as unknown as NodeJS.WriteStream;
  try {
    const exitCode = await executeBuild(plan, { ...signals, debug: job.debug, sinks: [(event) => channel.send({ type: 'event', event })], stream: discard, logMirror: log, workDir, readOnlyCache: job.cache.exportTo === undefined, keepOutputs: false, leftoverFolders: [] });
    const outputs = exitCode === 0 ? await writeTransport(staged, job.transportDevice, log, signals.signal) : [];
    return { exitCode, exported: await handBackCache(job, log, signals.signal), outputs };
  } catch (error) {
    await handBackCache(job, log, signals.signal);
    throw error;
  }
}

/** Layers of a failed build are as good as those of a successful one; an interrupted build hands
 * nothing back (the host is about to throw the machine away). */
async function handBackCache(job: GuestJob, log: LogSink, signal: AbortSignal): Promise<number> {
  if (!job.cache.exportTo || signal.aborted) return 0;
  return exportCacheAdditions(cacheUpper(job), job.cache.exportTo, log);
}

async function main(port: string): Promise<void> {
  const fd = openSync(port, 'r+');
  const channel: GuestChannel = new Channel(createReadStream('', { fd, autoClose: false }), createWriteStream('', { fd, autoClose: false }));
  const signals = stopSignals(channel);
  const jobMessage = channel.next('job');
  channel.send({ type: 'ready', kernel: release() });
  const { job } = await jobMessage;
  try {
    const { exitCode, exported, outputs } = await runJob(job, channel, signals);
    channel.send({ type: 'done', exitCode, exported, outputs });
  } catch (error) {
    const carried = carryError(error);
    channel.send({ type: 'done', exitCode: carried.exitCode, error: carried, exported: 0 });
  }
  // The last message must be out before kiln-guest-init powers the machine off.
  await channel.flush();
  closeSync(fd);
  // The port's read stream keeps a read pending forever; this is the process's entry point.
  process.exit(0);
}

await main(process.argv[2] ?? '/dev/vport1p1');
