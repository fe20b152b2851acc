// The worker protocol: what a worker tells the server about the jobs it builds. In-process
// workers hand these to the server directly; AMQP workers publish them as JSON messages on
// IMG's result exchange (the `finished` message carries IMG's result fields at its top level:
// id, status, url, image, log, error). One recorder turns them into job-store updates.
import type { JobFile, JobSpec, PhaseProgress } from './job.js';

/** A worker took a job (first delivery or a redelivery after a lost worker). */
export interface StartedEvent {
  type: 'started';
  id: string;
  worker: string;
  /** 1 on the first start; more after a lost worker or an interrupted server. */
  attempt: number;
  /** The queue delivered it before (a copy with false, for a job already building, is a duplicate). */
  redelivered: boolean;
  /** The whole job, so that a job submitted as a bare AMQP message gets a record. */
  job: JobSpec;
  /** IMG's status text for a starting build. */
  status: 'BUILDING';
  at: string;
}

/** The phase list of a running job changed. */
export interface ProgressEvent {
  type: 'progress';
  id: string;
  phase: string;
  progress: PhaseProgress[];
  at: string;
}

/** More of a running job's log. */
export interface LogEvent {
  type: 'log';
  id: string;
  attempt: number;
  /** Byte offset of `text` in this attempt's log (so a repeated message is not appended twice). */
  offset: number;
  text: string;
}

/** A job ended. */
export interface FinishedEvent {
  type: 'finished';
  id: string;
  attempt: number;
  worker: string;
  status: 'DONE' | 'ERROR' | 'CANCELLED';
  error: string;
  files: JobFile[];
  /** The phases at the end (a build restored from the cache reports its phases as cached). */
  progress: PhaseProgress[];
  /** IMG's fields: url (the first image, or the job's folder), image (the first image), log. */
  url: string;
  image: string;
  log: string;
  at: string;
}

/** A worker is alive (sent on start and then every few seconds). */
export interface HeartbeatEvent {
  type: 'heartbeat';
  worker: string;
  host: string;
  pid: number;
  /** The job it is building, or ''. */
  job: string;
  startedAt: string;
  at: string;
  /** false in the last heartbeat of a worker that stops. */
  alive: boolean;
}

/** Anything a worker reports. */
export type WorkerEvent = StartedEvent | ProgressEvent | LogEvent | FinishedEvent | HeartbeatEvent;

/** Where a worker sends its events (the store directly, or a message broker). */
export interface JobReporter {
  report(event: WorkerEvent): Promise<void>;
}

/** The current time as the protocol writes it. */
export function now(): string {
  return new Date().toISOString();
}
