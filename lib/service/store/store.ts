// The job store: the one record of every job and of the workers the server has heard from.
// An interface, as osbuild-composer's job queue is, so that the embedded default (SQLite in a
// file under the state folder) can be replaced by a database server without touching routes
// or workers.
import type { Job, JobSpec, JobStatus } from '../job.js';

/** Which jobs to list. */
export interface JobFilter {
  status?: JobStatus[];
  /** Submitter e-mail, exact. */
  email?: string;
  /** Token user, exact. */
  user?: string;
  /** Part of the name. */
  name?: string;
  /** Newest first; at most this many (default 50). */
  limit?: number;
  offset?: number;
}

/** A page of jobs and how many match in all. */
export interface JobPage {
  jobs: Job[];
  total: number;
}

/** What the server knows about one worker. */
export interface WorkerRecord {
  id: string;
  host: string;
  pid: number;
  /** `embedded` (a worker inside kiln-server) or `amqp`. */
  kind: 'embedded' | 'amqp';
  /** The job it is building, or ''. */
  job: string;
  startedAt: string;
  lastSeen: string;
  /** false once it said goodbye or was declared lost. */
  alive: boolean;
}

/** Fields a caller may change on a job. */
export type JobPatch = Partial<Omit<Job, 'id' | 'createdAt'>>;

/** The job store. Every method is atomic. */
export interface JobStore {
  /** Adds a new job (status QUEUED), with its uploaded flavours if any. */
  insert(job: Job, upload?: string): Promise<void>;
  get(id: string): Promise<Job | undefined>;
  /** The job as a worker needs it (with the upload). */
  spec(id: string): Promise<JobSpec | undefined>;
  list(filter: JobFilter): Promise<JobPage>;
  /** Changes fields and returns the new job (undefined if it does not exist). */
  update(id: string, patch: JobPatch): Promise<Job | undefined>;
  /** Changes fields only while the job is in one of `statuses`; undefined when it was not. */
  updateIf(id: string, statuses: readonly JobStatus[], patch: JobPatch): Promise<Job | undefined>;
  /** Takes the oldest QUEUED job for `worker`: BUILDING, attempts + 1. */
  claimNext(worker: string): Promise<Job | undefined>;
  /** Marks a cancel (or a delete, which cancels first) as asked for. */
  requestStop(id: string, what: 'cancel' | 'delete'): Promise<void>;
  stopRequested(id: string): Promise<{ cancel: boolean; delete: boolean }>;
  /** Notes that the message broker has the job (the AMQP queue's outbox). */
  markBrokered(id: string): Promise<void>;
  /** QUEUED jobs the broker does not have yet, oldest first. */
  unbrokered(): Promise<string[]>;
  /** Deletes a job, keeping its id as deleted (a late message about it must not bring it back). */
  remove(id: string): Promise<boolean>;
  /** Whether a job of this id was deleted. */
  wasDeleted(id: string): Promise<boolean>;
  /** How many jobs are in each status. */
  counts(): Promise<Record<JobStatus, number>>;
  saveWorker(worker: WorkerRecord): Promise<void>;
  listWorkers(): Promise<WorkerRecord[]>;
  close(): Promise<void>;
}
