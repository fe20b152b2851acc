// kiln-worker: a build machine of the build service. It takes one job at a time from RabbitMQ,
// builds it with kiln's engine, streams progress and log back, publishes the files (to a shared
// base_dir, or uploaded to kiln-server), and acknowledges the job once its result is recorded.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from '../errors.js';
import type { ServiceConfig } from '../service/config.js';
import { HttpPublisher } from '../service/http-publisher.js';
import { FolderPublisher } from '../service/publish.js';
import { redactUrl } from '../service/queue/amqp-connection.js';
import { JOB_QUEUE } from '../service/queue/amqp-topology.js';
import { AmqpWorkerLink } from '../service/queue/amqp-worker.js';
import { clearStaleJobDirs } from '../service/recovery.js';
import { resolveBuildUser } from '../service/service.js';
import { Worker, type JobPublisher } from '../service/worker.js';
import { runCommand } from './main.js';
import { parseServiceCommand, untilAborted } from './service-command.js';

const EXAMPLES = `
Examples:
  kiln-worker --amqp amqp://kiln:secret@mq.example.com/kiln --base-dir /srv/images --base-url https://images.example.com
                                      base_dir shared with kiln-server (NFS)
  kiln-worker --amqp amqp://kiln:secret@mq.example.com/kiln --server-url http://build.example.com:8080 --worker-token TOKEN
                                      results uploaded to kiln-server
`;

/** Where results go: the shared base_dir, or kiln-server over HTTP (then its base_url is asked for). */
async function publisherFor(config: ServiceConfig, baseUrlGiven: boolean): Promise<JobPublisher> {
  if (!config.serverUrl) return new FolderPublisher(config);
  if (!config.workerToken) throw new UsageError('--server-url needs --worker-token (a token of the server\'s [tokens])');
  if (!baseUrlGiven) {
    const health = (await (await fetch(`${config.serverUrl}/api/health`)).json().catch(() => ({}))) as { baseUrl?: string };
    if (health.baseUrl) config.baseUrl = health.baseUrl;
  }
  return new HttpPublisher(config.serverUrl, config.workerToken);
}

/** Entry point of kiln-worker; resolves to the exit code once it was stopped. */
export function main(argv: string[]): Promise<number> {
  return runCommand('kiln-worker', argv, async (interrupts) => {
    const { config, baseUrlGiven, log } = parseServiceCommand('kiln-worker', 'A build machine of the kiln build service: takes jobs from RabbitMQ, builds them, publishes the results.', EXAMPLES, argv);
    const url = config.amqpUrl;
    if (!url) throw new UsageError('no RabbitMQ to take jobs from: give --amqp amqp://USER:PASS@HOST/VHOST (or amqp_host and friends in the configuration)');
    for (const dir of [config.workDir, config.imageCache]) mkdirSync(dir, { recursive: true });
    if (!config.serverUrl) mkdirSync(config.baseDir, { recursive: true });
    await clearStaleJobDirs(config.workDir, log);
    const buildUser = await resolveBuildUser(config, log);
    const publisher = await publisherFor(config, baseUrlGiven);
    const name = config.workerName ?? `${hostname()}:${process.pid}`;
    const link = new AmqpWorkerLink(url, name, config.maxDeliveries, log);
    link.start();
    await Promise.race([link.connection.ready(), untilAborted(interrupts.signal)]);
    if (!interrupts.signal.aborted) {
      const target = config.serverUrl ? `uploaded to ${config.serverUrl}` : `in ${config.baseDir} at ${config.baseUrl}/`;
      log(`worker ${name} takes jobs from ${JOB_QUEUE} at ${redactUrl(url)}; results ${target}`);
      await new Worker(link, link, publisher, { ...config, name, buildUser }).run(interrupts.signal);
      log('stopped: a build that was running went back to the queue');
    }
    await link.close();
    return 0;
  });
}
