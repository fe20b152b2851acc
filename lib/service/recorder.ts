// The server's half of the worker protocol: every event a worker reports becomes a job-store
// update, a line in the published log, and a live update for the page. Events may come twice
// (a redelivered AMQP message): every step is idempotent by job id and attempt.
import { now, type JobReporter, type WorkerEvent, type StartedEvent, type FinishedEvent, type HeartbeatEvent } from './protocol.js';
import { initialProgress, type Job, type JobFile, type JobSpec } from './job.js';
import { progressSteps } from './progress.js';
import { fileUrl, logName, removeJobFolder, sortFiles } from './publish.js';
import type { JobStore } from './store/store.js';
import type { JobEvents } from './job-events.js';
import type { JobLogs } from './job-log.js';

/** Where published files are. */
export interface PublishTarget {
  baseDir: string;
  baseUrl: string;
}

/** A new job record for a submission. */
export function newJob(spec: JobSpec, user: string, target: PublishTarget): Job {
  const { upload, ...rest } = spec;
  return {
    ...rest,
    status: 'QUEUED', error: '', user,
    imageUrls: [], logUrl: fileUrl(target.baseUrl, spec.id, logName(spec.name)), files: [],
    createdAt: now(), startedAt: null, finishedAt: null,
    worker: '', phase: '', progress: initialProgress(progressSteps(spec.types)),
    attempts: 0, notes: [], hasUpload: upload !== undefined,
  };
}

/** Applies worker events to the store, the logs and the live-update bus. */
export class JobRecorder implements JobReporter {
  private readonly names = new Map<string, string>();

  constructor(
    private readonly store: JobStore,
    private readonly logs: JobLogs,
    private readonly events: JobEvents,
    private readonly target: PublishTarget,
    /** Stops a worker that started a job which is no longer wanted (cancelled, deleted, done, a duplicate). */
    private readonly stopJob: (id: string, worker?: string) => Promise<void>,
    private readonly workerKind: (worker: string) => 'embedded' | 'amqp' = () => 'embedded',
  ) {}

  async report(event: WorkerEvent): Promise<void> {
    switch (event.type) {
      case 'started':
        return this.started(event);
      case 'progress': {
        const job = await this.store.updateIf(event.id, ['BUILDING'], { phase: event.phase, progress: event.progress });
        if (job) this.events.emit('job', job);
        return;
      }
      case 'log':
        return this.log(event.id, event.attempt, event.offset, event.text);
      case 'finished':
        return this.finished(event);
      case 'heartbeat':
        return this.heartbeat(event);
    }
  }

  private async started(event: StartedEvent): Promise<void> {
    let job = await this.store.get(event.id);
    if (!job && (await this.store.wasDeleted(event.id))) return this.stopJob(event.id);
    if (!job) {
      // Submitted as a bare AMQP message: the server learns of it from the worker.
      job = newJob(event.job, '', this.target);
      await this.store.insert(job);
    }
    this.names.set(job.id, job.name);
    // A copy of a job that another worker is building (a message published twice) is dropped;
    // a redelivery means the other worker was lost, and this one takes over.
    if (job.status === 'BUILDING' && job.worker && job.worker !== event.worker && !event.redelivered) return this.stopJob(event.id, event.worker);
    const notes = event.attempt > 1 && event.attempt > job.attempts && job.worker && job.worker !== event.worker
      ? [...job.notes, `${event.at}: attempt ${event.attempt} on ${event.worker}: the previous worker (${job.worker}) was lost`]
      : job.notes;
    const updated = await this.store.updateIf(event.id, ['QUEUED', 'BUILDING'], {
      status: 'BUILDING', worker: event.worker, startedAt: event.at, attempts: Math.max(event.attempt, job.attempts),
      phase: '', progress: initialProgress(progressSteps(job.types)), error: '', notes,
    });
    if (!updated || (await this.store.stopRequested(event.id)).cancel) {
      await this.stopJob(event.id, event.worker);
      if (!updated) return;
    }
    this.events.emit('job', updated);
  }

  private async log(id: string, attempt: number, offset: number, text: string): Promise<void> {
    let name = this.names.get(id);
    if (name === undefined) {
      name = (await this.store.get(id))?.name;
      if (name === undefined) return;
      this.names.set(id, name);
    }
    const { fresh, size } = this.logs.append(id, name, attempt, offset, text);
    if (fresh) this.events.emit('log', id, fresh, size);
  }

  private async finished(event: FinishedEvent): Promise<void> {
    const stop = await this.store.stopRequested(event.id);
    const known = await this.store.get(event.id);
    // Only the worker that holds the job may end it (a lost worker's late result is ignored).
    if (known?.worker && known.worker !== event.worker) return;
    const log: JobFile[] = known ? [{ name: logName(known.name), url: known.logUrl, bytes: this.logs.size(known.id, known.name), kind: 'log' }] : [];
    const job = await this.store.updateIf(event.id, ['QUEUED', 'BUILDING'], {
      status: event.status, error: event.error, files: sortFiles([...event.files.filter((f) => f.kind !== 'log'), ...log]), finishedAt: event.at, phase: '', progress: event.progress,
      imageUrls: event.files.filter((f) => f.kind === 'image').map((f) => f.url),
    });
    this.logs.forget(event.id);
    this.names.delete(event.id);
    if (!job) return;
    if (stop.delete) {
      removeJobFolder(this.target.baseDir, job.id);
      await this.store.remove(job.id);
      this.events.emit('deleted', job.id);
      return;
    }
    this.events.emit('job', job);
  }

  /** A job the queue gave up on because its workers kept dying; returns its log URL. */
  async lostWorker(spec: JobSpec, error: string): Promise<string> {
    if (await this.store.wasDeleted(spec.id)) return '';
    let job = await this.store.get(spec.id);
    if (!job) {
      job = newJob(spec, '', this.target);
      await this.store.insert(job);
    }
    const text = `kiln: ${now()}: ${error}\n`;
    this.events.emit('log', job.id, text, this.logs.write(job.id, job.name, text));
    const log: JobFile = { name: logName(job.name), url: job.logUrl, bytes: this.logs.size(job.id, job.name), kind: 'log' };
    const failed = await this.store.updateIf(job.id, ['QUEUED', 'BUILDING'], { status: 'ERROR', error, finishedAt: now(), phase: '', files: [log] });
    if (failed) this.events.emit('job', failed);
    return job.logUrl;
  }

  private async heartbeat(event: HeartbeatEvent): Promise<void> {
    if (this.workerKind(event.worker) === 'amqp') await this.givenBack(event);
    await this.store.saveWorker({
      id: event.worker, host: event.host, pid: event.pid, kind: this.workerKind(event.worker), job: event.job,
      startedAt: event.startedAt, lastSeen: event.at, alive: event.alive,
    });
    this.events.emit('workers');
  }

  /**
   * A worker on RabbitMQ that no longer builds a job the store has it building gave the job back
   * (it is stopping, or lost the broker): the job waits in the queue again until a worker starts it.
   */
  private async givenBack(event: HeartbeatEvent): Promise<void> {
    const { jobs } = await this.store.list({ status: ['BUILDING'], limit: 100_000 });
    for (const job of jobs.filter((j) => j.worker === event.worker && j.id !== event.job)) {
      const note = `${event.at}: attempt ${job.attempts} on ${event.worker}: the worker stopped the build and gave the job back; queued again`;
      const queued = await this.store.updateIf(job.id, ['BUILDING'], { status: 'QUEUED', phase: '', worker: '', notes: [...job.notes, note] });
      if (queued) this.events.emit('job', queued);
    }
  }
}
