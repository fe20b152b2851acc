// kiln-server put together: the job store, the queue, the recorder, the HTTP server and the
// workers inside it, started in an order that loses nothing (interrupted jobs are dealt with
// before any worker takes a job) and stopped in the reverse order.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { isRoot } from '../exec/run.js';
import { lookUpBuildUser, type BuildUser } from './build-runner.js';
import type { ServiceConfig } from './config.js';
import type { FlavourInfo, ServiceContext } from './context.js';
import { listFlavours } from './flavour-list.js';
import { JobEvents } from './job-events.js';
import { JobLogs } from './job-log.js';
import { FolderPublisher } from './publish.js';
import { AmqpQueue } from './queue/amqp.js';
import { EmbeddedQueue } from './queue/embedded.js';
import type { JobQueue } from './queue/queue.js';
import { JobRecorder } from './recorder.js';
import { clearStaleJobDirs, recoverInterrupted } from './recovery.js';
import { buildServer } from './server.js';
import { SqliteJobStore } from './store/sqlite.js';
import { Worker } from './worker.js';

/** A running service. */
export interface RunningService {
  /** Where it listens, e.g. http://127.0.0.1:8080. */
  url: string;
  app: FastifyInstance;
  config: ServiceConfig;
  /** Stops workers (their builds clean up and their jobs are queued again), then the server. */
  close(): Promise<void>;
}

/** How the service reports what it does (kiln-server prints these lines). */
export type ServiceLog = (line: string) => void;

/** The build user, when the service runs as root and has one. */
export async function resolveBuildUser(config: ServiceConfig, log: ServiceLog): Promise<BuildUser | undefined> {
  if (!config.buildUser) return undefined;
  if (!isRoot()) {
    log(`build_user ${config.buildUser} ignored: builds run as this service's own user when it is not root`);
    return undefined;
  }
  return lookUpBuildUser(config.buildUser);
}

/** Cached flavour list (re-read at most every 30 s, so new flavours show up). */
function flavourLister(flavoursPath: string | undefined): () => FlavourInfo[] {
  let cached: { at: number; list: FlavourInfo[] } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > 30_000) cached = { at: Date.now(), list: listFlavours(flavoursPath) };
    return cached.list;
  };
}

function makeQueue(config: ServiceConfig, store: SqliteJobStore, log: ServiceLog): JobQueue {
  const { amqpUrl } = config;
  return amqpUrl ? new AmqpQueue({ ...config, amqpUrl }, store, log) : new EmbeddedQueue(store);
}

/** Starts kiln-server's parts and listens. */
export async function startService(config: ServiceConfig, log: ServiceLog, options: { baseUrlGiven: boolean }): Promise<RunningService> {
  for (const dir of [config.stateDir, config.workDir, config.baseDir, config.imageCache]) mkdirSync(dir, { recursive: true });
  const buildUser = await resolveBuildUser(config, log);
  const store = new SqliteJobStore(join(config.stateDir, 'jobs.sqlite'));
  const events = new JobEvents();
  const logs = new JobLogs(config.baseDir);
  const queue = makeQueue(config, store, log);
  const embeddedNames = new Set<string>();
  const recorder = new JobRecorder(store, logs, events, config, (id, worker) => queue.cancel(id, worker), (w) => (embeddedNames.has(w) ? 'embedded' : 'amqp'));
  if (queue.kind === 'embedded') for (const line of await recoverInterrupted(store, logs, events, config.workDir, log)) log(line);
  else await clearStaleJobDirs(config.workDir, log);
  await queue.start(recorder);
  const ctx: ServiceContext = { config, store, queue, events, logs, recorder, flavours: flavourLister(config.flavoursPath) };
  const app = await buildServer(ctx);
  await app.listen({ host: config.host, port: config.port });
  const port = (app.server.address() as AddressInfo).port;
  if (config.port === 0 && !options.baseUrlGiven) config.baseUrl = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/files`;
  config.port = port;
  const stop = new AbortController();
  const publisher = new FolderPublisher(config);
  const loops = Array.from({ length: config.workers }, (_, i) => {
    const name = `${hostname()}:${process.pid}/${i + 1}`;
    embeddedNames.add(name);
    const { source, reporter } = queue.worker(name, recorder);
    const worker = new Worker(source, reporter, publisher, { ...config, name, buildUser });
    return worker.run(stop.signal).catch((error: unknown) => log(`worker ${name} stopped: ${error instanceof Error ? error.message : String(error)}`));
  });
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  return {
    url, app, config,
    async close() {
      stop.abort();
      await Promise.all(loops);
      await app.close();
      await queue.close();
      await store.close();
    },
  };
}
