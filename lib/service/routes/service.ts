// What the service is made of: the flavours a job may use, the workers and when each was last
// heard from, and a health summary for monitoring.
import type { FastifyInstance } from 'fastify';
import { kilnVersion } from '../../version.js';
import { ARCHES } from '../../config/values.js';
import { OUTPUT_FORMATS } from '../../outputs/registry.js';
import type { ServiceContext } from '../context.js';
import { readAllowed } from './jobs.js';

/** A worker not heard from for this long is shown as lost. */
const WORKER_LOST_MS = 60_000;

/** Registers the service routes. */
export async function serviceRoutes(app: FastifyInstance, options: { ctx: ServiceContext }): Promise<void> {
  const { ctx } = options;
  app.get('/api/flavours', async (request, reply) => {
    if (!readAllowed(ctx, request, reply)) return;
    void reply.send({ flavours: ctx.flavours() });
  });
  app.get('/api/options', async (request, reply) => {
    if (!readAllowed(ctx, request, reply)) return;
    void reply.send({
      types: OUTPUT_FORMATS.map((f) => ({ name: f.name, kind: f.kind, description: f.description })),
      arches: ARCHES,
      uploads: ctx.config.allowUploads,
    });
  });
  app.get('/api/workers', async (request, reply) => {
    if (!readAllowed(ctx, request, reply)) return;
    const seenSince = Date.now() - WORKER_LOST_MS;
    const workers = (await ctx.store.listWorkers()).map((w) => ({
      ...w,
      state: !w.alive ? 'stopped' : Date.parse(w.lastSeen) < seenSince ? 'lost' : w.job ? 'building' : 'idle',
    }));
    void reply.send({ workers });
  });
  app.get('/api/health', async (_request, reply) => {
    void reply.send({ ok: true, version: kilnVersion(), queue: ctx.queue.kind, baseUrl: ctx.config.baseUrl, counts: await ctx.store.counts() });
  });
}
