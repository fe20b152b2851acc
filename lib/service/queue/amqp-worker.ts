// A worker's side of RabbitMQ: it takes one job at a time from image_queue (prefetch 1, manual
// acknowledgement), hears cancellations on kiln_control, and publishes its reports with publisher
// confirms. A job is acknowledged only after its result was confirmed; if the connection goes
// mid-build, the build is stopped (RabbitMQ hands the job to another worker) and the worker
// reconnects by itself.
import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { JobSpec } from '../job.js';
import { now, type JobReporter, type WorkerEvent } from '../protocol.js';
import type { Delivery, WorkSource } from '../worker.js';
import { BrokerConnection } from './amqp-connection.js';
import { messageId, parseJobMessage } from './amqp-messages.js';
import { CONTROL_EXCHANGE, declareJobTopology, JOB_EXCHANGE, JOB_QUEUE, JOB_ROUTING_KEY, REPORT_KEYS, RESULT_EXCHANGE } from './amqp-topology.js';

/** Header counting the times stopping workers gave a job back unbuilt. */
const GIVEN_BACK = 'x-kiln-given-back';

/** A message a worker got, waiting for the worker loop to take it. */
interface Pending {
  channel: Channel;
  message: ConsumeMessage;
}

/** One worker's link to RabbitMQ: its job source and its reporter. */
export class AmqpWorkerLink implements WorkSource, JobReporter {
  readonly connection: BrokerConnection;
  private reports: ConfirmChannel | undefined;
  private readonly pending: Pending[] = [];
  private wake: (() => void) | undefined;
  private readonly running = new Map<string, { cancel: AbortController; abandon: AbortController }>();

  constructor(url: string, private readonly name: string, private readonly maxDeliveries: number, private readonly log: (line: string) => void) {
    this.connection = new BrokerConnection(url, (model) => this.setUp(model), log);
    this.connection.onLost(() => this.lost());
  }

  /** Connects (and keeps reconnecting). */
  start(): void {
    this.connection.start();
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  private async setUp(model: ChannelModel): Promise<void> {
    await declareJobTopology(() => model.createChannel(), this.maxDeliveries, this.log);
    this.reports = await model.createConfirmChannel();
    const control = await model.createChannel();
    const { queue } = await control.assertQueue('', { exclusive: true, autoDelete: true });
    await control.bindQueue(queue, CONTROL_EXCHANGE, '');
    await control.consume(queue, (message) => message && this.onControl(message), { noAck: true });
    const jobs = await model.createChannel();
    await jobs.prefetch(1);
    await jobs.consume(JOB_QUEUE, (message) => {
      if (!message) return;
      this.pending.push({ channel: jobs, message });
      this.wake?.();
    });
  }

  /** The connection went: unacknowledged jobs go back to the queue by themselves; stop building them. */
  private lost(): void {
    this.pending.length = 0;
    for (const job of this.running.values()) job.abandon.abort();
    this.reports = undefined;
  }

  private onControl(message: ConsumeMessage): void {
    try {
      const order = JSON.parse(message.content.toString()) as { type?: string; id?: string; worker?: string };
      if (order.type !== 'cancel' || !order.id) return;
      if (order.worker && order.worker !== this.name) return;
      this.running.get(order.id)?.cancel.abort();
    } catch {
      // Not ours to understand.
    }
  }

  async next(stop: AbortSignal): Promise<Delivery | undefined> {
    for (;;) {
      if (stop.aborted) return undefined;
      const item = this.pending.shift();
      if (item) {
        const delivery = await this.deliver(item);
        if (delivery) return delivery;
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.wake = undefined;
          stop.removeEventListener('abort', done);
          resolve();
        };
        this.wake = done;
        stop.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Turns a message into a delivery; a message that is not a job is answered with an ERROR and dropped. */
  private async deliver({ channel, message }: Pending): Promise<Delivery | undefined> {
    // Deliveries that ended with the worker lost (RabbitMQ counts them), and times a stopping worker gave it back.
    const count = Number(message.properties.headers?.['x-delivery-count'] ?? 0);
    const givenBack = Number(message.properties.headers?.[GIVEN_BACK] ?? 0);
    let job: JobSpec;
    try {
      job = parseJobMessage(message.content, () => (typeof message.properties.messageId === 'string' ? message.properties.messageId : randomUUID()));
    } catch (error) {
      await this.refuse(message, error instanceof Error ? error.message : String(error));
      channel.ack(message);
      return undefined;
    }
    const cancel = new AbortController();
    const abandon = new AbortController();
    this.running.set(job.id, { cancel, abandon });
    const alive = (): boolean => this.connection.current !== undefined && !abandon.signal.aborted;
    return {
      job, attempt: count + givenBack + 1, redelivered: count + givenBack > 0 || message.fields.redelivered,
      cancel: cancel.signal, abandon: abandon.signal,
      settle: async () => {
        this.running.delete(job.id);
        if (alive()) channel.ack(message);
      },
      giveBack: async () => {
        this.running.delete(job.id);
        if (alive()) await this.requeue(channel, message, givenBack + 1);
      },
    };
  }

  /**
   * Puts a job this worker stops without building back in the queue as a fresh copy, then
   * acknowledges the original: a nack would count as a lost worker towards max_deliveries.
   */
  private async requeue(channel: Channel, message: ConsumeMessage, givenBack: number): Promise<void> {
    const reports = this.reports;
    try {
      if (!reports) throw new Error('not connected to RabbitMQ');
      const { 'x-delivery-count': _count, ...headers } = message.properties.headers ?? {};
      reports.publish(JOB_EXCHANGE, JOB_ROUTING_KEY, message.content, {
        persistent: true, contentType: message.properties.contentType ?? 'application/json', messageId: message.properties.messageId, type: 'job',
        headers: { ...headers, [GIVEN_BACK]: givenBack },
      });
      await reports.waitForConfirms();
      channel.ack(message);
    } catch {
      channel.nack(message, false, true);
    }
  }

  /** Publishes IMG's ERROR result for a message that is not a valid job. */
  private async refuse(message: ConsumeMessage, error: string): Promise<void> {
    const id = messageId(message.content) ?? '';
    this.log(`refused job message ${id || '(no id)'}: ${error}`);
    await this.report({ type: 'finished', id, attempt: 1, worker: this.name, status: 'ERROR', error: `not a valid job message: ${error}`, files: [], progress: [], url: '', image: '', log: '', at: now() }).catch(() => undefined);
  }

  async report(event: WorkerEvent): Promise<void> {
    const channel = this.reports;
    if (!channel || !this.connection.current) {
      if (event.type === 'finished') throw new Error('not connected to RabbitMQ');
      return;
    }
    channel.publish(RESULT_EXCHANGE, REPORT_KEYS[event.type], Buffer.from(JSON.stringify(event)), {
      persistent: true, contentType: 'application/json', type: event.type, ...('id' in event ? { messageId: event.id } : {}),
    });
    // The result must be safe with the broker before the job is acknowledged.
    if (event.type === 'finished' || event.type === 'started') await channel.waitForConfirms();
  }
}
