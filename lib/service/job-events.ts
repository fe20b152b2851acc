// Live job updates inside the server: the recorder announces every changed job and every new
// piece of log here, and the server-sent-event routes pass them on to browsers and clients.
import { EventEmitter } from 'node:events';
import type { Job } from './job.js';

/** What listeners receive. */
export interface JobEventMap {
  /** A job changed (or appeared). */
  job: [job: Job];
  /** A job was deleted. */
  deleted: [id: string];
  /** More log text of a job; `end` is the log's size in bytes after it. */
  log: [id: string, text: string, end: number];
  /** The list of workers changed. */
  workers: [];
}

/** The in-process event bus of job updates. */
export class JobEvents extends EventEmitter<JobEventMap> {
  constructor() {
    super();
    // One listener per open event stream: many browsers may watch at once.
    this.setMaxListeners(0);
  }
}
