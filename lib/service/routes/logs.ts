// A job's log: whole (text), followed as it grows (`?follow=1`, plain text that ends with the
// job, for curl and kiln-submit --wait), and as server-sent events together with the job's
// status and progress (the job page). Log events carry the log's byte offset as their id, so a
// reconnecting EventSource resumes where it stopped.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../context.js';
import { isFinished, type Job } from '../job.js';
import { jobOr404, present, readAllowed } from './jobs.js';
import { openEventStream } from './sse.js';

type IdRequest = FastifyRequest<{ Params: { id: string }; Querystring: { follow?: string; from?: string } }>;

/** Sends the log from `from` on and then every new piece; returns the unsubscriber. */
function followLog(ctx: ServiceContext, job: Job, from: number, send: (text: string, end: number) => void): () => void {
  const initial = ctx.logs.read(job.id, job.name, from);
  let sent = from + Buffer.byteLength(initial);
  if (initial) send(initial, sent);
  // Reading above and subscribing here happen in one tick: no piece can fall in between.
  const onLog = (id: string, text: string, end: number): void => {
    if (id !== job.id || end <= sent) return;
    const bytes = Buffer.from(text);
    const fresh = end - bytes.length < sent ? bytes.subarray(bytes.length - (end - sent)).toString() : text;
    sent = end;
    send(fresh, end);
  };
  ctx.events.on('log', onLog);
  return () => ctx.events.off('log', onLog);
}

function whenFinished(ctx: ServiceContext, id: string, callback: (job: Job | undefined) => void): () => void {
  const onJob = (job: Job): void => {
    if (job.id === id && isFinished(job.status)) callback(job);
  };
  const onDeleted = (deleted: string): void => {
    if (deleted === id) callback(undefined);
  };
  ctx.events.on('job', onJob);
  ctx.events.on('deleted', onDeleted);
  return () => {
    ctx.events.off('job', onJob);
    ctx.events.off('deleted', onDeleted);
  };
}

async function plainLog(ctx: ServiceContext, request: IdRequest, reply: FastifyReply): Promise<void> {
  if (!readAllowed(ctx, request, reply)) return;
  const job = await jobOr404(ctx, request.params.id, reply);
  if (!job) return;
  if (!request.query.follow || isFinished(job.status)) {
    void reply.type('text/plain; charset=utf-8').send(ctx.logs.read(job.id, job.name, Math.max(0, Number(request.query.from ?? 0) || 0)));
    return;
  }
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  const from = Number(request.query.from ?? 0);
  const stopLog = followLog(ctx, job, Number.isFinite(from) && from > 0 ? from : 0, (text) => reply.raw.write(text));
  const stopWatch = whenFinished(ctx, job.id, () => {
    cleanup();
    reply.raw.end();
  });
  const cleanup = (): void => {
    stopLog();
    stopWatch();
  };
  request.raw.on('close', cleanup);
}

async function eventLog(ctx: ServiceContext, request: IdRequest, reply: FastifyReply): Promise<void> {
  if (!readAllowed(ctx, request, reply)) return;
  const job = await jobOr404(ctx, request.params.id, reply);
  if (!job) return;
  const resume = Number(request.headers['last-event-id'] ?? request.query.from ?? 0);
  const stream = openEventStream(request, reply);
  stream.send('job', job);
  const stopLog = followLog(ctx, job, Number.isFinite(resume) && resume > 0 ? resume : 0, (text, end) => stream.send('log', { text }, end));
  const onJob = (changed: Job): void => {
    if (changed.id === job.id) stream.send('job', present(ctx, changed));
  };
  const onDeleted = (id: string): void => {
    if (id === job.id) stream.send('deleted', { id });
  };
  ctx.events.on('job', onJob);
  ctx.events.on('deleted', onDeleted);
  stream.onClose(() => {
    stopLog();
    ctx.events.off('job', onJob);
    ctx.events.off('deleted', onDeleted);
  });
}

/** Registers the log routes. */
export async function logRoutes(app: FastifyInstance, options: { ctx: ServiceContext }): Promise<void> {
  const { ctx } = options;
  const params = { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } as const;
  app.get('/api/jobs/:id/log', { schema: { params } }, (request, reply) => plainLog(ctx, request as IdRequest, reply));
  app.get('/api/jobs/:id/events', { schema: { params } }, (request, reply) => eventLog(ctx, request as IdRequest, reply));
}
