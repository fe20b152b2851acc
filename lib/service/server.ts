// The HTTP server of the build service, built by a factory as Fastify recommends: one plugin
// per route group, JSON schemas on every route, one error shape. Tests call it with their own
// store and queue.
import Fastify, { type FastifyInstance } from 'fastify';
import addFormats from 'ajv-formats';
import type { ServiceContext } from './context.js';
import { handleError } from './routes/errors.js';
import { fileRoutes } from './routes/files.js';
import { jobRoutes } from './routes/jobs.js';
import { logRoutes } from './routes/logs.js';
import { pageRoutes } from './routes/page.js';
import { serviceRoutes } from './routes/service.js';

/** Builds (but does not start) the server. */
export async function buildServer(ctx: ServiceContext): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    // Event streams stay open; closing the server must not wait for browsers to leave.
    forceCloseConnections: true,
    // The upload travels base64-encoded inside the JSON body: 4/3 of max_upload, plus the rest.
    bodyLimit: Math.ceil((ctx.config.maxUpload * 4) / 3) + 256 * 1024,
    ajv: { customOptions: { allErrors: false, removeAdditional: false, coerceTypes: 'array' }, plugins: [[addFormats.default, {}] as [never, unknown]] },
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `nothing at ${request.method} ${request.url.split('?')[0]}`, field: 'url' });
  });
  await app.register(jobRoutes, { ctx });
  await app.register(logRoutes, { ctx });
  await app.register(fileRoutes, { ctx });
  await app.register(serviceRoutes, { ctx });
  await app.register(pageRoutes);
  return app;
}
