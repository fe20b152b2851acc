// The job queue: how jobs travel from the server to workers, and cancellations after them.
// Like osbuild-composer's job queue it is an interface with an embedded default (the job store
// itself, for workers inside kiln-server) and a transport for many machines (RabbitMQ).
import type { JobSpec } from '../job.js';
import type { JobReporter } from '../protocol.js';
import type { WorkSource } from '../worker.js';

/** A job queue. */
export interface JobQueue {
  /** `embedded`: in-process workers only; `amqp`: RabbitMQ. */
  readonly kind: 'embedded' | 'amqp';
  /** Starts it; worker events that arrive over the transport go to `recorder`. */
  start(recorder: JobReporter): Promise<void>;
  /** Hands a job (already stored as QUEUED) to the workers. */
  enqueue(job: JobSpec): Promise<void>;
  /** Tells whichever worker builds `id` (or only `worker`) to stop it; nothing happens when none does. */
  cancel(id: string, worker?: string): Promise<void>;
  /** Where a worker inside the server takes jobs from, and where it reports (the recorder, or the transport). */
  worker(name: string, recorder: JobReporter): { source: WorkSource; reporter: JobReporter };
  close(): Promise<void>;
}
