// kiln-server's side of RabbitMQ. Jobs are published to image_exchange with publisher confirms
// and persistent messages; the job store is the outbox (a job is stored first and marked once
// RabbitMQ confirmed it, so a job submitted while the broker is away is published when it is
// back). Worker reports arrive on kiln_server_queue and are acknowledged once recorded; jobs
// dead-lettered after max_deliveries end ERROR ("worker lost N times"), and that result is
// published in IMG's format for clients that only speak AMQP.
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { ServiceConfig } from '../config.js';
import type { JobSpec } from '../job.js';
import { now, type JobReporter } from '../protocol.js';
import type { JobRecorder } from '../recorder.js';
import type { JobStore } from '../store/store.js';
import type { WorkSource } from '../worker.js';
import { BrokerConnection } from './amqp-connection.js';
import { jobMessage, parseJobMessage, parseWorkerEvent } from './amqp-messages.js';
import { CONTROL_EXCHANGE, DEAD_QUEUE, declareJobTopology, declareServerQueue, JOB_EXCHANGE, JOB_ROUTING_KEY, REPORT_KEYS, RESULT_EXCHANGE, SERVER_QUEUE } from './amqp-topology.js';
import { AmqpWorkerLink } from './amqp-worker.js';
import type { JobQueue } from './queue.js';

/** The job queue on RabbitMQ. */
export class AmqpQueue implements JobQueue {
  readonly kind = 'amqp' as const;
  private readonly connection: BrokerConnection;
  private publisher: ConfirmChannel | undefined;
  private recorder: JobRecorder | undefined;
  private readonly links: AmqpWorkerLink[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private reports: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: ServiceConfig & { amqpUrl: string },
    private readonly store: JobStore,
    private readonly log: (line: string) => void,
  ) {
    this.connection = new BrokerConnection(config.amqpUrl, (model) => this.setUp(model), log);
    this.connection.onLost(() => (this.publisher = undefined));
  }

  async start(recorder: JobReporter): Promise<void> {
    this.recorder = recorder as JobRecorder;
    this.connection.start();
  }

  private async setUp(model: ChannelModel): Promise<void> {
    await declareJobTopology(() => model.createChannel(), this.config.maxDeliveries, this.log);
    const consumer = await model.createChannel();
    await declareServerQueue(consumer);
    await consumer.prefetch(100);
    // One report at a time, in the order they came: a worker's heartbeat must not overtake its start.
    await consumer.consume(SERVER_QUEUE, (message) => {
      if (message) this.reports = this.reports.then(() => this.onReport(consumer, message));
    });
    await consumer.consume(DEAD_QUEUE, (message) => message && void this.onDead(consumer, message));
    this.publisher = await model.createConfirmChannel();
    // Jobs stored while the broker was away go out now.
    setImmediate(() => void this.flushOutbox());
  }

  async enqueue(job: JobSpec): Promise<void> {
    if (this.publisher) await this.publish(job).catch((error: unknown) => this.log(`job ${job.id} stays in the outbox: ${String(error)}`));
  }

  private async publish(job: JobSpec): Promise<void> {
    const channel = this.publisher;
    if (!channel) throw new Error('not connected to RabbitMQ');
    channel.publish(JOB_EXCHANGE, JOB_ROUTING_KEY, Buffer.from(JSON.stringify(jobMessage(job))), {
      persistent: true, contentType: 'application/json', messageId: job.id, type: 'job',
    });
    await channel.waitForConfirms();
    await this.store.markBrokered(job.id);
  }

  private flushOutbox(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      for (const id of await this.store.unbrokered()) {
        const job = await this.store.spec(id);
        if (!job || !this.publisher) continue;
        await this.publish(job).catch((error: unknown) => this.log(`job ${id} stays in the outbox: ${String(error)}`));
      }
    });
    return this.flushing;
  }

  async cancel(id: string, worker?: string): Promise<void> {
    this.publisher?.publish(CONTROL_EXCHANGE, '', Buffer.from(JSON.stringify({ type: 'cancel', id, ...(worker ? { worker } : {}) })), { contentType: 'application/json' });
  }

  worker(name: string): { source: WorkSource; reporter: JobReporter } {
    const link = new AmqpWorkerLink(this.config.amqpUrl, name, this.config.maxDeliveries, this.log);
    link.start();
    this.links.push(link);
    return { source: link, reporter: link };
  }

  /** Records one worker report; acknowledges it once recorded (a failure retries it a second later). */
  private async onReport(channel: Channel, message: ConsumeMessage): Promise<void> {
    const event = parseWorkerEvent(message.content);
    if (!event) {
      this.log(`ignored a message on ${SERVER_QUEUE} that is not a worker report`);
      channel.ack(message);
      return;
    }
    try {
      await this.recorder!.report(event);
      channel.ack(message);
    } catch (error) {
      this.log(`could not record ${event.type} of ${'id' in event ? event.id : event.worker}: ${String(error)}; retrying`);
      setTimeout(() => channel.nack(message, false, true), 1000);
    }
  }

  /** A job RabbitMQ gave up on: its workers died max_deliveries times. */
  private async onDead(channel: Channel, message: ConsumeMessage): Promise<void> {
    let job: JobSpec;
    try {
      job = parseJobMessage(message.content, () => String(message.properties.messageId));
    } catch {
      channel.ack(message);
      return;
    }
    const times = this.config.maxDeliveries;
    const error = `worker lost ${times} times: the job's build ended its worker every time (RabbitMQ stopped delivering it after ${times} deliveries)`;
    const logUrl = await this.recorder!.lostWorker(job, error);
    this.publisher?.publish(RESULT_EXCHANGE, REPORT_KEYS.finished, Buffer.from(JSON.stringify({
      type: 'finished', id: job.id, attempt: times, worker: '', status: 'ERROR', error, files: [], progress: [],
      url: '', image: '', log: logUrl, at: now(),
    })), { persistent: true, contentType: 'application/json', messageId: job.id, type: 'finished' });
    channel.ack(message);
  }

  async close(): Promise<void> {
    await Promise.all(this.links.map((link) => link.close()));
    await this.connection.close();
  }
}
