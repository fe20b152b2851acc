// The web page: plain HTML, CSS and JavaScript files served as they are (no build step): the
// queue with the submit form at /, a job's page at /jobs/<id>.
import fastifyStatic from '@fastify/static';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** The folder of the page's files (the same from lib/ sources and from dist/). */
const WEB_DIR = fileURLToPath(new URL('../../../lib/service/web/', import.meta.url));

/** Registers the page routes. */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: WEB_DIR, prefix: '/static/', index: false, list: false });
  app.get('/', (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));
  app.get('/jobs/:id', (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('job.html'));
}
