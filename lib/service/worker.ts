// A worker: takes one job at a time from its source (the embedded queue or RabbitMQ), builds it
// as a child process, streams progress and log to its reporter, publishes the files, runs
// post_creation, reports the result, and only then settles (acknowledges) the job.
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { run } from '../exec/run.js';
import type { JobFile, JobSpec } from './job.js';
import { now, type FinishedEvent, type JobReporter, type WorkerEvent } from './protocol.js';
import { ProgressTracker, progressSteps } from './progress.js';
import { fileUrl, logName } from './publish.js';
import { runJobBuild, type BuildRunnerSetting } from './build-runner.js';
import { jobDirFor } from './recovery.js';

/** A job handed to a worker. */
export interface Delivery {
  job: JobSpec;
  /** 1 for the first delivery, more after lost workers or an interrupted server. */
  attempt: number;
  /** Whether the queue delivered it before (a worker was lost, or the server restarted). */
  redelivered: boolean;
  /** Aborted when someone cancels the job. */
  cancel: AbortSignal;
  /** Aborted when the delivery can no longer be acknowledged (the broker connection went). */
  abandon?: AbortSignal;
  /** Called once the result is recorded: acknowledges the job. */
  settle(): Promise<void>;
  /** Gives the job back unbuilt (the worker is shutting down): it is queued again. */
  giveBack(): Promise<void>;
}

/** Where a worker gets jobs. */
export interface WorkSource {
  /** Waits for the next job; undefined once `stop` is aborted. */
  next(stop: AbortSignal): Promise<Delivery | undefined>;
}

/** Where a worker puts a finished job's files. */
export interface JobPublisher {
  /** Publishes every file in `outDir`; returns them with their URLs. */
  publish(job: JobSpec, outDir: string): Promise<JobFile[]>;
  /** The local folder the files went to, when there is one (for post_creation). */
  folder(job: JobSpec): string | undefined;
}

/** What a worker needs beyond its source, reporter and publisher. */
export interface WorkerSetting extends BuildRunnerSetting {
  /** Worker name, e.g. host:pid/1. */
  name: string;
  workDir: string;
  baseUrl: string;
  postCreation: string | undefined;
  buildTimeoutMinutes: number;
  heartbeatMs?: number;
}

/** Sends events one after the other, in order, whatever the transport; says whether each arrived. */
class OrderedReporter {
  private chain: Promise<boolean> = Promise.resolve(true);
  constructor(private readonly reporter: JobReporter) {}

  send(event: WorkerEvent): Promise<boolean> {
    this.chain = this.chain.then(() => this.reporter.report(event)).then(() => true, () => false);
    return this.chain;
  }
}

/** A worker loop. */
export class Worker {
  private readonly reporter: OrderedReporter;
  private readonly startedAt = now();
  private current = '';

  constructor(
    private readonly source: WorkSource,
    reporter: JobReporter,
    private readonly publisher: JobPublisher,
    private readonly setting: WorkerSetting,
  ) {
    this.reporter = new OrderedReporter(reporter);
  }

  /** Takes and builds jobs until `stop` is aborted. */
  async run(stop: AbortSignal): Promise<void> {
    await this.heartbeat(true);
    const timer = setInterval(() => void this.heartbeat(true), this.setting.heartbeatMs ?? 10_000);
    try {
      for (;;) {
        const delivery = await this.source.next(stop);
        if (!delivery) break;
        await this.buildOne(delivery, stop);
      }
    } finally {
      clearInterval(timer);
      await this.heartbeat(false);
    }
  }

  private heartbeat(alive: boolean): Promise<boolean> {
    return this.reporter.send({
      type: 'heartbeat', worker: this.setting.name, host: hostname(), pid: process.pid, job: this.current,
      startedAt: this.startedAt, at: now(), alive,
    });
  }

  /** Builds one job and reports its result (or gives it back when `stop` ends the build); never throws. */
  async buildOne(delivery: Delivery, stop: AbortSignal): Promise<void> {
    const { job, attempt } = delivery;
    const started = Date.now();
    this.current = job.id;
    const jobDir = jobDirFor(this.setting.workDir, job.id);
    rmSync(jobDir, { recursive: true, force: true });
    let offset = 0;
    const log = (text: string): void => {
      void this.reporter.send({ type: 'log', id: job.id, attempt, offset, text });
      offset += Buffer.byteLength(text);
    };
    await this.reporter.send({ type: 'started', id: job.id, worker: this.setting.name, attempt, redelivered: delivery.redelivered, job, status: 'BUILDING', at: now() });
    void this.heartbeat(true);
    log(`kiln: job ${job.id} "${job.name}", attempt ${attempt}, on worker ${this.setting.name} at ${now()}\n`);
    const tracker = new ProgressTracker(progressSteps(job.types));
    const timeout = this.setting.buildTimeoutMinutes > 0 ? AbortSignal.timeout(this.setting.buildTimeoutMinutes * 60_000) : undefined;
    const gone = delivery.abandon ? AbortSignal.any([stop, delivery.abandon]) : stop;
    const signal = AbortSignal.any([delivery.cancel, gone, ...(timeout ? [timeout] : [])]);
    let status: FinishedEvent['status'] = 'ERROR';
    let error = '';
    let files: JobFile[] = [];
    try {
      log(`kiln: building ${describe(job)}\n`);
      const outcome = await runJobBuild({
        job, jobDir, setting: this.setting, signal, onLog: log,
        onEvent: (event) => {
          if (tracker.apply(event)) void this.reporter.send({ type: 'progress', id: job.id, phase: tracker.current, progress: tracker.progress, at: now() });
        },
      });
      if (gone.aborted && !delivery.cancel.aborted) return await this.giveBack(delivery, jobDir, log);
      if (delivery.cancel.aborted) [status, error] = ['CANCELLED', 'cancelled'];
      else if (timeout?.aborted) error = `the build ran longer than build_timeout (${this.setting.buildTimeoutMinutes} minutes) and was stopped`;
      else if (!outcome.ok) error = outcome.error;
      else {
        tracker.finish();
        files = await this.publisher.publish(job, outcome.outDir);
        error = await this.postCreation(job, files, log);
        status = error ? 'ERROR' : 'DONE';
      }
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    log(`kiln: job ${status} after ${seconds} s${error ? `: ${error.split('\n')[0]}` : ''}\n`);
    const recorded = await this.reporter.send(this.finished(job, attempt, status, error, files, tracker));
    rmSync(jobDir, { recursive: true, force: true });
    this.current = '';
    // Acknowledge only a result that was recorded; otherwise the job comes back (at least once).
    await (recorded ? delivery.settle() : delivery.giveBack());
    void this.heartbeat(true);
  }

  private async giveBack(delivery: Delivery, jobDir: string, log: (text: string) => void): Promise<void> {
    log(`kiln: ${delivery.abandon?.aborted ? 'the worker lost its broker connection' : 'the worker is shutting down'}: build stopped, job given back to the queue\n`);
    rmSync(jobDir, { recursive: true, force: true });
    this.current = '';
    await this.reporter.send({ type: 'heartbeat', worker: this.setting.name, host: hostname(), pid: process.pid, job: '', startedAt: this.startedAt, at: now(), alive: true });
    await delivery.giveBack();
  }

  private finished(job: JobSpec, attempt: number, status: FinishedEvent['status'], error: string, files: JobFile[], tracker: ProgressTracker): FinishedEvent {
    const image = files.find((f) => f.kind === 'image')?.url ?? '';
    const log = fileUrl(this.setting.baseUrl, job.id, logName(job.name));
    return {
      type: 'finished', id: job.id, attempt, worker: this.setting.name, status, error, files, progress: tracker.progress,
      url: image || `${this.setting.baseUrl}/${job.id}/`, image, log, at: now(),
    };
  }

  /** Runs post_creation after a successful build; returns an error text if it failed. */
  private async postCreation(job: JobSpec, files: JobFile[], log: (text: string) => void): Promise<string> {
    const script = this.setting.postCreation;
    if (!script) return '';
    log(`kiln: running post_creation ${script}\n`);
    const folder = this.publisher.folder(job);
    const result = await run([script], {
      env: {
        KILN_JOB_ID: job.id, KILN_JOB_NAME: job.name, KILN_JOB_EMAIL: job.email, KILN_JOB_ARCH: job.arch,
        KILN_JOB_RELEASE: job.release, KILN_JOB_TYPES: job.types.join(','), KILN_JOB_STATUS: 'DONE',
        KILN_JOB_IMAGE_URLS: files.filter((f) => f.kind === 'image').map((f) => f.url).join(' '),
        KILN_JOB_LOG_URL: fileUrl(this.setting.baseUrl, job.id, logName(job.name)),
        KILN_JOB_FILES: files.map((f) => f.name).join(' '),
        ...(folder ? { KILN_JOB_DIR: folder } : {}),
      },
      label: 'post_creation',
      allowFailure: true,
      captureStdout: false,
      onLine: (line) => log(`post_creation | ${line}\n`),
    }).catch((failure: unknown) => ({ exitCode: 127, signal: undefined, error: failure instanceof Error ? failure.message : String(failure) }));
    if (result.exitCode === 0 && !result.signal) return '';
    return 'error' in result ? `post_creation ${script} could not run: ${result.error}` : `post_creation ${script} ${result.signal ? `was killed with ${result.signal}` : `exited with code ${result.exitCode}`}`;
  }
}

function describe(job: JobSpec): string {
  const parts = [`flavours ${job.flavours.join(' ')}`, `types ${job.types.join(',')}`, `arch ${job.arch}`];
  if (job.release) parts.push(`release ${job.release}`);
  if (job.packages.length) parts.push(`packages ${job.packages.join(',')}`);
  return parts.join(', ');
}
