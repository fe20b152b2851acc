// Published files: base_dir served at /files/ (unless another web server serves it at
// base_url), IMG's images/<id> route that leads to a job's image, and a job's file list.
import fastifyStatic from '@fastify/static';
import { createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requireUser } from '../auth.js';
import type { ServiceContext } from '../context.js';
import { fileUrl, jobFolder } from '../publish.js';
import { jobOr404, readAllowed } from './jobs.js';

const UPLOAD_PARAMS = {
  type: 'object',
  required: ['id', 'name'],
  properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$' } },
} as const;

/** A worker whose base_dir is not shared uploads each file of a finished job here. */
async function receiveFile(ctx: ServiceContext, request: FastifyRequest<{ Params: { id: string; name: string } }>, reply: FastifyReply): Promise<void> {
  if (requireUser(request, reply, ctx.config.tokens) === undefined) return;
  const { id, name } = request.params;
  if (await ctx.store.wasDeleted(id)) {
    void reply.code(410).send({ error: `job ${id} was deleted`, field: 'id' });
    return;
  }
  const folder = jobFolder(ctx.config.baseDir, id);
  mkdirSync(folder, { recursive: true });
  const partial = join(folder, `.${name}.partial`);
  await pipeline(request.body as Readable, createWriteStream(partial));
  renameSync(partial, join(folder, name));
  void reply.code(201).send({ name, bytes: statSync(join(folder, name)).size, url: fileUrl(ctx.config.baseUrl, id, name) });
}

const ID_PARAMS = { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } as const;

async function firstImage(ctx: ServiceContext, request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<void> {
  if (!readAllowed(ctx, request, reply)) return;
  const job = await jobOr404(ctx, request.params.id, reply);
  if (!job) return;
  const image = job.imageUrls[0];
  if (job.status !== 'DONE' || !image) {
    void reply.code(409).send({ error: `job ${job.id} has no image${job.status === 'DONE' ? '' : ` (it is ${job.status})`}`, field: 'id' });
    return;
  }
  void reply.redirect(image, 302);
}

/** Registers the file routes. */
export async function fileRoutes(app: FastifyInstance, options: { ctx: ServiceContext }): Promise<void> {
  const { ctx } = options;
  app.get<{ Params: { id: string } }>('/images/:id', { schema: { params: ID_PARAMS } }, (request, reply) => firstImage(ctx, request, reply));
  app.get<{ Params: { id: string } }>('/api/jobs/:id/files', { schema: { params: ID_PARAMS } }, async (request, reply) => {
    if (!readAllowed(ctx, request, reply)) return;
    const job = await jobOr404(ctx, request.params.id, reply);
    if (job) void reply.send({ files: job.files, logUrl: job.logUrl });
  });
  await app.register(async (scope) => {
    // Images are streamed to disk as they come, never held in memory.
    scope.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
    scope.put<{ Params: { id: string; name: string } }>('/api/jobs/:id/files/:name', { bodyLimit: Number.MAX_SAFE_INTEGER, schema: { params: UPLOAD_PARAMS } }, (request, reply) => receiveFile(ctx, request, reply));
  });
  if (!ctx.config.serveBaseDir) return;
  mkdirSync(ctx.config.baseDir, { recursive: true });
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (!readAllowed(ctx, request, reply)) return reply;
      return undefined;
    });
    await scope.register(fastifyStatic, { root: ctx.config.baseDir, prefix: '/files/', decorateReply: false, index: false, dotfiles: 'deny', list: false });
  });
}
