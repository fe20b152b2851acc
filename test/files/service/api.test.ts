// The HTTP API without builds: the server factory with a real store in a temp folder and the
// embedded queue with no workers, driven by Fastify's inject. Real builds are in
// test/e2e/service-*.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadServiceConfig } from '../../../lib/service/config.js';
import type { ServiceContext } from '../../../lib/service/context.js';
import { JobEvents } from '../../../lib/service/job-events.js';
import { JobLogs } from '../../../lib/service/job-log.js';
import { EmbeddedQueue } from '../../../lib/service/queue/embedded.js';
import { JobRecorder } from '../../../lib/service/recorder.js';
import { buildServer } from '../../../lib/service/server.js';
import { SqliteJobStore } from '../../../lib/service/store/sqlite.js';
import { fixtures } from '../../helpers/host.js';
import { tempDir } from '../../helpers/tree.js';

let tmp: ReturnType<typeof tempDir>;
let app: FastifyInstance;
let store: SqliteJobStore;
const auth = { authorization: 'Bearer t-alice' };

async function start(extra: Record<string, string> = {}): Promise<void> {
  const config = loadServiceConfig({ state_dir: tmp.path, flavours_path: fixtures, max_upload: '1M', ...extra }, { KILN_TOKENS: 'alice:t-alice' });
  store = new SqliteJobStore(join(tmp.path, 'jobs.sqlite'));
  const events = new JobEvents();
  const logs = new JobLogs(config.baseDir);
  const queue = new EmbeddedQueue(store);
  const recorder = new JobRecorder(store, logs, events, config, (id) => queue.cancel(id));
  const ctx: ServiceContext = { config, store, queue, events, logs, recorder, flavours: () => [] };
  app = await buildServer(ctx);
}

beforeEach(async () => {
  tmp = tempDir();
  await start();
});
afterEach(async () => {
  await app.close();
  await store.close();
  tmp.cleanup();
});

const job = { name: 'demo', flavours: ['fake-os'], types: ['tar'], skipBase: true };

describe('kiln-server API', () => {
  it('queues a valid job and serves it by id, in the list and on IMG routes', async () => {
    const submitted = await app.inject({ method: 'POST', url: '/api/jobs', headers: auth, payload: job });
    expect(submitted.statusCode).toBe(201);
    const body = submitted.json();
    expect(body).toMatchObject({ status: 'QUEUED', user: 'alice', name: 'demo', logUrl: `http://127.0.0.1:8080/files/${body.id}/demo.log` });
    expect(submitted.headers.location).toBe(`/api/jobs/${body.id}`);
    expect((await app.inject({ url: `/api/jobs/${body.id}` })).json().id).toBe(body.id);
    expect((await app.inject({ url: `/job/${body.id}` })).json().id).toBe(body.id);
    const list = (await app.inject({ url: '/queue?status=QUEUED' })).json();
    expect([list.total, list.counts.QUEUED]).toEqual([1, 1]);
    const img = await app.inject({ method: 'POST', url: '/submit', headers: auth, payload: { name: 'img', flavours: 'fake-os', imagetype: 'tar', email: 'me@example.com', skipBase: true } });
    expect(img.statusCode).toBe(201);
    expect((await app.inject({ url: `/images/${body.id}` })).statusCode).toBe(409);
    const spec = await app.inject({ method: 'POST', url: '/api/jobs', headers: auth, payload: { name: 'spec', spec: { flavours: ['fake-os'], types: ['tar'], skipBase: true } } });
    expect([spec.statusCode, spec.json().flavours, spec.json().types]).toEqual([201, ['fake-os'], ['tar']]);
  });

  it('refuses changes without a valid token', async () => {
    expect((await app.inject({ method: 'POST', url: '/api/jobs', payload: job })).statusCode).toBe(401);
    const wrong = await app.inject({ method: 'POST', url: '/api/jobs', headers: { authorization: 'Bearer nope' }, payload: job });
    expect([wrong.statusCode, wrong.json().error]).toEqual([401, 'the token is not valid']);
    const id = (await app.inject({ method: 'POST', url: '/api/jobs', headers: auth, payload: job })).json().id;
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${id}/cancel` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'DELETE', url: `/api/jobs/${id}` })).statusCode).toBe(401);
  });

  it('answers bad requests with 4xx naming the field', async () => {
    const cases: [unknown, number, string][] = [
      [{ ...job, flavours: ['fake-oss'] }, 400, 'flavours'],
      [{ ...job, flavours: ['fake-os', 'debian'] }, 400, 'flavours'],
      [{ ...job, types: ['tarball'] }, 400, 'types'],
      [{ ...job, name: '../x' }, 400, 'name'],
      [{ ...job, colour: 'red' }, 400, 'colour'],
      [{ flavours: ['fake-os'] }, 400, 'name'],
      [{ ...job, environment: { PATH: '/evil' } }, 400, 'environment.PATH'],
      [{ ...job, environment: { DIB_IMAGE_CACHE: '/' } }, 400, 'environment.DIB_IMAGE_CACHE'],
      [{ ...job, email: 'not-an-address' }, 400, 'email'],
      [{ ...job, upload: 'H4sI' }, 400, 'upload'],
      [{ name: 'spec', spec: { flavours: ['fake-os'], tpyes: ['tar'] } }, 400, 'spec.tpyes'],
      [{ name: 'spec', spec: { flavours: ['fake-oss'], skipBase: true } }, 400, 'spec'],
      [{ ...job, upload: 'A'.repeat(2 * 1024 * 1024) }, 413, 'upload'],
    ];
    for (const [payload, status, field] of cases) {
      const response = await app.inject({ method: 'POST', url: '/api/jobs', headers: auth, payload: payload as object });
      expect([response.statusCode, response.json().field], JSON.stringify(payload).slice(0, 80)).toEqual([status, field]);
      expect(response.json().error).toBeTruthy();
    }
    const notJson = await app.inject({ method: 'POST', url: '/api/jobs', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"name":' });
    expect(notJson.statusCode).toBe(400);
    expect((await app.inject({ url: '/api/jobs/7d7f5b7a-8ad0-4c57-9b1e-3a1d5fd0e7a1' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/jobs/not-an-id' })).json().field).toBe('id');
  });

  it('cancels and deletes queued jobs at once', async () => {
    const a = (await app.inject({ method: 'POST', url: '/api/jobs', headers: auth, payload: job })).json().id;
    const cancelled = await app.inject({ method: 'POST', url: `/api/jobs/${a}/cancel`, headers: auth });
    expect(cancelled.json()).toMatchObject({ status: 'CANCELLED', error: 'cancelled by alice before it started' });
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${a}/cancel`, headers: auth })).statusCode).toBe(409);
    expect((await app.inject({ method: 'DELETE', url: `/api/jobs/${a}`, headers: auth })).json()).toEqual({ deleted: a });
    expect((await app.inject({ url: `/api/jobs/${a}` })).statusCode).toBe(404);
    expect(await store.wasDeleted(a)).toBe(true);
  });

  it('needs a token for reading too when public_read is off', async () => {
    await app.close();
    await store.close();
    await start({ public_read: 'no' });
    expect((await app.inject({ url: '/api/jobs' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/jobs', headers: auth })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/jobs?access_token=t-alice' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/files/x' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/health' })).statusCode).toBe(200);
  });

  it('refuses uploads unless allowed', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/jobs', headers: auth, payload: { ...job, upload: 'H4sIAAAAAAAAAwMAAAAAAAAAAAA=' } });
    expect([response.statusCode, response.json().field]).toEqual([400, 'upload']);
    expect(response.json().error).toContain('does not accept uploaded flavours');
  });
});
