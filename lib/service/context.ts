// Everything the routes of kiln-server work with, built once by the command (or by a test with
// its own store and queue) and handed to the server factory.
import type { ServiceConfig } from './config.js';
import type { JobEvents } from './job-events.js';
import type { JobLogs } from './job-log.js';
import type { JobQueue } from './queue/queue.js';
import type { JobRecorder } from './recorder.js';
import type { JobStore } from './store/store.js';

/** A flavour the service offers, for the submit form. */
export interface FlavourInfo {
  name: string;
  /** First line of its README. */
  summary: string;
  /** Virtual names it provides (operating-system, ...). */
  provides: string[];
}

/** The server's parts. */
export interface ServiceContext {
  config: ServiceConfig;
  store: JobStore;
  queue: JobQueue;
  events: JobEvents;
  logs: JobLogs;
  recorder: JobRecorder;
  /** The flavours jobs may name. */
  flavours(): FlavourInfo[];
}
