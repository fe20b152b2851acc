// The AMQP message bodies. A job message is IMG's: a JSON object with email, id, imagetype,
// name, arch, release and the build (kiln's flavours and options, or its spec in `spec`, or as
// text in IMG's `ksfile`); it is checked with the same schema as an HTTP submission. Worker
// reports are the worker protocol's events (protocol.ts) as JSON.
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { JobSpec } from '../job.js';
import type { WorkerEvent } from '../protocol.js';
import { FieldError, normaliseSubmission, SUBMISSION_SCHEMA, type Submission } from '../submission.js';
import { fieldOfValidation } from '../routes/errors.js';

const ajv = new Ajv({ allErrors: false });
addFormats.default(ajv);
const validSubmission = ajv.compile(SUBMISSION_SCHEMA);

/** The job message the server publishes for a job (IMG's fields, plus kiln's). */
export function jobMessage(job: JobSpec): Record<string, unknown> {
  const common = { id: job.id, name: job.name, ...(job.email ? { email: job.email } : {}), ...(job.upload ? { upload: job.upload } : {}) };
  if (job.spec) return { ...common, spec: job.spec };
  return {
    ...common, imagetype: job.types.join(','), arch: job.arch, release: job.release, flavours: job.flavours,
    packages: job.packages, skipBase: job.skipBase, environment: job.environment,
  };
}

/** A job message as a job, or a FieldError naming what is wrong with it. */
export function parseJobMessage(content: Buffer, fallbackId: () => string): JobSpec {
  let body: unknown;
  try {
    body = JSON.parse(content.toString());
  } catch {
    throw new FieldError('message', 'is not JSON', 'send a JSON object with name, flavours (or spec) and id');
  }
  if (!validSubmission(body)) {
    const first = validSubmission.errors![0]!;
    const field = fieldOfValidation(first as never);
    throw new FieldError(field, first.keyword === 'additionalProperties' ? 'is not a known field' : first.message ?? 'is not valid');
  }
  const submission = body as Submission;
  return normaliseSubmission({ ...submission, id: submission.id ?? fallbackId() }, { email: '' });
}

/** The id a broken job message gives, if any (to report its ERROR). */
export function messageId(content: Buffer): string | undefined {
  try {
    const id = (JSON.parse(content.toString()) as { id?: unknown }).id;
    return typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

const EVENT_TYPES = new Set(['started', 'progress', 'log', 'finished', 'heartbeat']);

/** A worker report, or undefined for anything that is not one. */
export function parseWorkerEvent(content: Buffer): WorkerEvent | undefined {
  try {
    const event = JSON.parse(content.toString()) as { type?: unknown; id?: unknown; worker?: unknown };
    if (typeof event.type !== 'string' || !EVENT_TYPES.has(event.type)) return undefined;
    if (event.type === 'heartbeat' ? typeof event.worker !== 'string' : typeof event.id !== 'string') return undefined;
    return event as WorkerEvent;
  } catch {
    return undefined;
  }
}
