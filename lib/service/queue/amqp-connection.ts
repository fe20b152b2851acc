// A connection to RabbitMQ that comes back by itself: heartbeats (so that a dead peer or a lost
// network is noticed within seconds), and when the connection goes, reconnection with
// exponential back-off (0.5 s doubling to 15 s, with jitter). Each time it is up, `setUp` declares
// what its owner needs and starts its consumers again.
import { connect, type ChannelModel } from 'amqplib';

/** Seconds between AMQP heartbeats; two missed ones close the connection. */
const HEARTBEAT_SECONDS = 10;

/** The URL with a heartbeat interval, unless it names one. */
export function withHeartbeat(url: string, seconds = HEARTBEAT_SECONDS): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(seconds));
  return parsed.toString();
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** Delay before reconnection attempt `n` (0-based). */
export function backoffMs(n: number, random = Math.random): number {
  return Math.min(15_000, 500 * 2 ** n) * (0.75 + random() / 2);
}

/** A self-healing broker connection. */
export class BrokerConnection {
  private model: ChannelModel | undefined;
  private closing = false;
  private connecting: Promise<void> | undefined;
  /** Whether a connection was up before (a reconnection is logged, even one that worked at once). */
  private connectedBefore = false;
  private readonly lostCallbacks = new Set<() => void>();
  private waiters: (() => void)[] = [];
  /** Ends the wait before the next attempt (close() must not wait up to 15 s for it). */
  private readonly closed = new AbortController();

  constructor(
    private readonly url: string,
    private readonly setUp: (model: ChannelModel) => Promise<void>,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts connecting (in the background); `ready()` waits for it. */
  start(): void {
    this.connecting ??= this.connectLoop().finally(() => (this.connecting = undefined));
  }

  /** The live connection, or undefined while it is down. */
  get current(): ChannelModel | undefined {
    return this.model;
  }

  /** Waits until the connection is up (or resolves at once when it is). */
  ready(): Promise<void> {
    if (this.model) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Runs `callback` every time the connection is lost. */
  onLost(callback: () => void): () => void {
    this.lostCallbacks.add(callback);
    return () => this.lostCallbacks.delete(callback);
  }

  /** Closes for good. */
  async close(): Promise<void> {
    this.closing = true;
    this.closed.abort();
    const model = this.model;
    this.model = undefined;
    await model?.close().catch(() => undefined);
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async connectLoop(): Promise<void> {
    for (let attempt = 0; !this.closing; attempt++) {
      try {
        const model = await connect(withHeartbeat(this.url));
        model.on('error', () => undefined);
        model.on('close', () => this.lost(model));
        await this.setUp(model).catch(async (error: unknown) => {
          await model.close().catch(() => undefined);
          throw error;
        });
        this.model = model;
        if (this.connectedBefore) this.log(`connected to RabbitMQ at ${redactUrl(this.url)} again`);
        else if (attempt > 0) this.log(`connected to RabbitMQ at ${redactUrl(this.url)}`);
        this.connectedBefore = true;
        for (const wake of this.waiters.splice(0)) wake();
        return;
      } catch (error) {
        const delay = backoffMs(attempt);
        if (attempt === 0 || attempt % 5 === 0) this.log(`cannot reach RabbitMQ at ${redactUrl(this.url)} (${error instanceof Error ? error.message : String(error)}); retrying in ${(delay / 1000).toFixed(1)} s`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.closed.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
    }
  }

  private lost(model: ChannelModel): void {
    if (this.model !== model) return;
    this.model = undefined;
    if (this.closing) return;
    this.log(`lost the connection to RabbitMQ at ${redactUrl(this.url)}; reconnecting`);
    for (const callback of this.lostCallbacks) callback();
    this.start();
  }
}
