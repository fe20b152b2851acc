// The embedded queue: the job store is the queue. A worker inside kiln-server takes the oldest
// QUEUED job in one transaction; a cancellation reaches it through an in-process signal.
import type { JobSpec } from '../job.js';
import type { JobReporter } from '../protocol.js';
import type { JobStore } from '../store/store.js';
import type { Delivery, WorkSource } from '../worker.js';
import type { JobQueue } from './queue.js';

/** How long an idle worker sleeps before looking again without being woken (a safety net). */
const IDLE_POLL_MS = 2000;

/** The in-process queue over the job store. */
export class EmbeddedQueue implements JobQueue {
  readonly kind = 'embedded' as const;
  private readonly running = new Map<string, AbortController>();
  private waiters = new Set<() => void>();

  constructor(private readonly store: JobStore) {}

  async start(): Promise<void> {}

  async enqueue(): Promise<void> {
    this.wake();
  }

  async cancel(id: string): Promise<void> {
    this.running.get(id)?.abort();
  }

  worker(name: string, recorder: JobReporter): { source: WorkSource; reporter: JobReporter } {
    return { source: { next: (stop) => this.next(name, stop) }, reporter: recorder };
  }

  async close(): Promise<void> {
    for (const controller of this.running.values()) controller.abort();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  private async next(worker: string, stop: AbortSignal): Promise<Delivery | undefined> {
    while (!stop.aborted) {
      const job = await this.store.claimNext(worker);
      if (job) {
        const spec = (await this.store.spec(job.id)) as JobSpec;
        const controller = new AbortController();
        this.running.set(job.id, controller);
        // A cancel that came between the claim and now found no controller: honour it here.
        if ((await this.store.stopRequested(job.id)).cancel) controller.abort();
        return {
          job: spec, attempt: job.attempts, redelivered: job.attempts > 1, cancel: controller.signal,
          settle: async () => void this.running.delete(job.id),
          giveBack: async () => {
            this.running.delete(job.id);
            await this.store.updateIf(job.id, ['BUILDING'], { status: 'QUEUED', worker: '', phase: '', notes: [...job.notes, `${new Date().toISOString()}: attempt ${job.attempts} stopped by a server shutdown; requeued`] });
          },
        };
      }
      await this.sleep(stop);
    }
    return undefined;
  }

  private sleep(stop: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        stop.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, IDLE_POLL_MS);
      stop.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }
}
