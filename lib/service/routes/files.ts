// Published files: base_dir served at /files/ (unless another web server serves it at
// base_url), IMG's images/<id> route that leads to a job's image, and a job's file list.
import fastifyStatic from '@fastify/static';
import { mkdirSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../context.js';
import { jobOr404, readAllowed } from './jobs.js';

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
