// The job routes: submit, list, status, cancel, delete and the live stream of job updates,
// under /api/jobs, plus IMG's own routes (submit/, queue/, job/<id>) for its clients.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireUser, tokenUser } from '../auth.js';
import type { ServiceContext } from '../context.js';
import { isFinished, JOB_STATUSES, type Job, type JobSpec, type JobStatus } from '../job.js';
import { now } from '../protocol.js';
import { removeJobFolder, withUrls } from '../publish.js';
import { newJob } from '../recorder.js';
import { FieldError, normaliseSubmission, SUBMISSION_SCHEMA, type Submission } from '../submission.js';
import { checkUpload, unpackUpload } from '../upload.js';
import { checkBuildable } from '../validate.js';
import { openEventStream } from './sse.js';

const ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } },
} as const;

const LIST_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', pattern: `^((${JOB_STATUSES.join('|')}),?)*$` },
    email: { type: 'string', maxLength: 254 },
    user: { type: 'string', maxLength: 100 },
    name: { type: 'string', maxLength: 64 },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    offset: { type: 'integer', minimum: 0, default: 0 },
    access_token: { type: 'string' },
  },
} as const;

/** Reading is public, or needs any valid token (public_read = no). */
export function readAllowed(ctx: ServiceContext, request: FastifyRequest, reply: FastifyReply): boolean {
  if (ctx.config.publicRead) return true;
  return requireUser(request, reply, ctx.config.tokens) !== undefined;
}

/** A job as the API shows it: its URLs under the current base_url. */
export function present(ctx: ServiceContext, job: Job): Job {
  return withUrls(job, ctx.config.baseUrl);
}

/** The job (as the API shows it) or a 404 reply. */
export async function jobOr404(ctx: ServiceContext, id: string, reply: FastifyReply): Promise<Job | undefined> {
  const job = await ctx.store.get(id);
  if (!job) void reply.code(404).send({ error: `no job ${id}`, field: 'id' });
  return job && present(ctx, job);
}

/** Checks that the job can be built, uploaded flavours included (unpacked in a scratch folder). */
async function checkSubmission(ctx: ServiceContext, spec: JobSpec): Promise<void> {
  if (!spec.upload) return checkBuildable(spec, ctx.config);
  if (!ctx.config.allowUploads) {
    throw new FieldError('upload', 'this server does not accept uploaded flavours', 'their hooks would run as root on the build host; the administrator can allow them with allow_uploads = yes (best with use_vm)');
  }
  checkUpload(spec.upload);
  const scratch = mkdtempSync(join(tmpdir(), 'kiln-upload-'));
  try {
    unpackUpload(spec.upload, scratch);
    await checkBuildable(spec, ctx.config, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function submit(ctx: ServiceContext, request: FastifyRequest<{ Body: Submission }>, reply: FastifyReply): Promise<void> {
  const user = requireUser(request, reply, ctx.config.tokens);
  if (user === undefined) return;
  const spec = normaliseSubmission(request.body, { email: '' });
  if (request.body.id && ((await ctx.store.get(spec.id)) || (await ctx.store.wasDeleted(spec.id)))) {
    throw new FieldError('id', `a job ${spec.id} exists already`, 'leave "id" out and the server picks one');
  }
  await checkSubmission(ctx, spec);
  const job = newJob(spec, user, ctx.config);
  await ctx.store.insert(job, spec.upload);
  try {
    await ctx.queue.enqueue(spec);
  } catch (error) {
    const failed = await ctx.store.updateIf(job.id, ['QUEUED'], { status: 'ERROR', error: `could not be queued: ${error instanceof Error ? error.message : String(error)}`, finishedAt: now() });
    if (failed) ctx.events.emit('job', failed);
    void reply.code(503).send({ error: 'the job queue is not reachable; try again later', job: failed });
    return;
  }
  ctx.events.emit('job', job);
  void reply.code(201).header('location', `/api/jobs/${job.id}`).send(present(ctx, job));
}

async function list(ctx: ServiceContext, request: FastifyRequest<{ Querystring: { status?: string; email?: string; user?: string; name?: string; limit: number; offset: number } }>, reply: FastifyReply): Promise<void> {
  if (!readAllowed(ctx, request, reply)) return;
  const q = request.query;
  const status = q.status ? (q.status.split(',').filter(Boolean) as JobStatus[]) : undefined;
  const page = await ctx.store.list({ ...(status ? { status } : {}), ...(q.email ? { email: q.email } : {}), ...(q.user ? { user: q.user } : {}), ...(q.name ? { name: q.name } : {}), limit: q.limit, offset: q.offset });
  void reply.send({ jobs: page.jobs.map((j) => present(ctx, j)), total: page.total, limit: q.limit, offset: q.offset, counts: await ctx.store.counts() });
}

async function show(ctx: ServiceContext, request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<void> {
  if (!readAllowed(ctx, request, reply)) return;
  const job = await jobOr404(ctx, request.params.id, reply);
  if (job) void reply.send(job);
}

async function cancel(ctx: ServiceContext, request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<void> {
  const user = requireUser(request, reply, ctx.config.tokens);
  if (user === undefined) return;
  const job = await jobOr404(ctx, request.params.id, reply);
  if (!job) return;
  const note = `${now()}: cancel requested by ${user}`;
  const cancelled = await ctx.store.updateIf(job.id, ['QUEUED'], { status: 'CANCELLED', error: `cancelled by ${user} before it started`, finishedAt: now(), notes: [...job.notes, note] });
  if (cancelled) {
    ctx.events.emit('job', cancelled);
    void reply.send(present(ctx, cancelled));
    return;
  }
  if (isFinished(job.status)) {
    void reply.code(409).send({ error: `job ${job.id} has already ended (${job.status})`, field: 'id' });
    return;
  }
  await ctx.store.requestStop(job.id, 'cancel');
  const noted = await ctx.store.updateIf(job.id, ['BUILDING'], { notes: [...job.notes, note] });
  await ctx.queue.cancel(job.id);
  void reply.code(202).send(noted ? present(ctx, noted) : job);
}

async function remove(ctx: ServiceContext, request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<void> {
  const user = requireUser(request, reply, ctx.config.tokens);
  if (user === undefined) return;
  const job = await jobOr404(ctx, request.params.id, reply);
  if (!job) return;
  const stopped = job.status === 'QUEUED' ? await ctx.store.updateIf(job.id, ['QUEUED'], { status: 'CANCELLED', finishedAt: now() }) : undefined;
  if (stopped || isFinished(job.status)) {
    removeJobFolder(ctx.config.baseDir, job.id);
    await ctx.store.remove(job.id);
    ctx.events.emit('deleted', job.id);
    void reply.send({ deleted: job.id });
    return;
  }
  // Building: stop it first; the result's arrival deletes it (files and log included).
  await ctx.store.requestStop(job.id, 'delete');
  await ctx.store.requestStop(job.id, 'cancel');
  await ctx.queue.cancel(job.id);
  void reply.code(202).send({ deleting: job.id, status: 'the build is being stopped; the job and its files go when it has' });
}

function streamAll(ctx: ServiceContext, request: FastifyRequest, reply: FastifyReply): void {
  if (!readAllowed(ctx, request, reply)) return;
  const stream = openEventStream(request, reply);
  const onJob = (job: Job): void => stream.send('job', present(ctx, job));
  const onDeleted = (id: string): void => stream.send('deleted', { id });
  const onWorkers = (): void => stream.send('workers', {});
  ctx.events.on('job', onJob);
  ctx.events.on('deleted', onDeleted);
  ctx.events.on('workers', onWorkers);
  stream.onClose(() => {
    ctx.events.off('job', onJob);
    ctx.events.off('deleted', onDeleted);
    ctx.events.off('workers', onWorkers);
  });
}

/** Registers the job routes. */
export async function jobRoutes(app: FastifyInstance, options: { ctx: ServiceContext }): Promise<void> {
  const { ctx } = options;
  const submitRoute = { schema: { body: SUBMISSION_SCHEMA } };
  app.post<{ Body: Submission }>('/api/jobs', submitRoute, (request, reply) => submit(ctx, request, reply));
  app.post<{ Body: Submission }>('/submit', submitRoute, (request, reply) => submit(ctx, request, reply));
  app.get('/api/jobs', { schema: { querystring: LIST_QUERY } }, (request, reply) => list(ctx, request as never, reply));
  app.get('/queue', { schema: { querystring: LIST_QUERY } }, (request, reply) => list(ctx, request as never, reply));
  app.get<{ Params: { id: string } }>('/api/jobs/:id', { schema: { params: ID_PARAMS } }, (request, reply) => show(ctx, request, reply));
  app.get<{ Params: { id: string } }>('/job/:id', { schema: { params: ID_PARAMS } }, (request, reply) => show(ctx, request, reply));
  app.post<{ Params: { id: string } }>('/api/jobs/:id/cancel', { schema: { params: ID_PARAMS } }, (request, reply) => cancel(ctx, request, reply));
  app.delete<{ Params: { id: string } }>('/api/jobs/:id', { schema: { params: ID_PARAMS } }, (request, reply) => remove(ctx, request, reply));
  app.get('/api/events', (request, reply) => streamAll(ctx, request, reply));
  app.get('/api/whoami', (request, reply) => {
    const user = tokenUser(request, ctx.config.tokens);
    void reply.send({ user: user ?? null, publicRead: ctx.config.publicRead });
  });
}
