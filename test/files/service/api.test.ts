// The HTTP API without builds: the server factory with a real store in a temp folder and the
// embedded queue with no workers, driven by Fastify's inject. Real builds are in
// test/e2e/service-*.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { main as kilnSubmit } from '../../../lib/cli/kiln-submit.js';
import { loadServiceConfig } from '../../../lib/service/config.js';
import type { ServiceContext } from '../../../lib/service/context.js';
import { JobEvents } from '../../../lib/service/job-events.js';
import { JobLogs } from '../../../lib/service/job-log.js';
import { EmbeddedQueue } from '../../../lib/service/queue/embedded.js';
import { JobRecorder } from '../../../lib/service/recorder.js';
import { buildServer } from '../../../lib/service/server.js';
import { SqliteJobStore } from '../../../lib/service/store/sqlite.js';
import { fixtures } from '../../helpers/host.js';
import { captureStdio } from '../../helpers/stdio.js';
import { hook, tempDir, writeTree } from '../../helpers/tree.js';

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

/** Runs kiln-submit in-process against `url` as alice; its exit code and what it printed. */
async function submitCli(url: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const printed = captureStdio();
  try {
    const code = await kilnSubmit(['--server', url, '--token', 't-alice', ...argv]);
    return { code, ...printed };
  } finally {
    vi.restoreAllMocks();
  }
}

/** Reads server-sent events from `response` until `until` accepts one; every event read. */
async function readEvents(response: Response, until: (event: string, data: unknown) => boolean): Promise<[string, unknown][]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: [string, unknown][] = [];
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the event stream ended after ${JSON.stringify(events)}`);
    buffered += value;
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const record = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const event = /^event: (.*)$/m.exec(record)?.[1];
      const data = /^data: (.*)$/m.exec(record)?.[1];
      if (!event || data === undefined) continue;
      events.push([event, JSON.parse(data)]);
      if (until(event, JSON.parse(data))) {
        await reader.cancel();
        return events;
      }
    }
  }
}

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

describe('kiln-server on a port of 127.0.0.1', () => {
  it("kiln-submit submits with IMG's options, polls, lists, cancels and deletes", async () => {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const submitted = await submitCli(url, '-n', 'cli', '-t', 'tar,tgz', '-e', 'bob@example.com', '-r', 'bookworm', '-a', 'x86_64', '--skip-base', 'fake-os');
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = submitted.stdout.trim();
    expect(await store.get(id)).toMatchObject({ name: 'cli', user: 'alice', email: 'bob@example.com', release: 'bookworm', arch: 'amd64', types: ['tar', 'tgz'], flavours: ['fake-os'], skipBase: true, status: 'QUEUED' });
    const polled = await submitCli(url, '--poll', id);
    expect([polled.code, polled.stdout.split('\n')[0]]).toEqual([0, `${id}  cli  QUEUED`]);
    expect(polled.stdout).toContain(`log:   http://127.0.0.1:8080/files/${id}/cli.log`);
    const other = (await submitCli(url, '-n', 'other', '-t', 'tar', '--skip-base', 'fake-os')).stdout.trim();
    const cancelled = await submitCli(url, 'cancel', other);
    expect([cancelled.code, cancelled.stdout.split('\n')[0]]).toEqual([0, `${other}  other  CANCELLED`]);
    const listed = await submitCli(url, 'list', '--status', 'QUEUED');
    expect(listed.stdout).toBe(`${id}  QUEUED     cli  fake-os -> tar,tgz\n`);
    expect((await submitCli(url, 'list')).stdout.split('\n').filter(Boolean).map((line) => line.split('  ')[0])).toEqual([other, id]);
    const deleted = await submitCli(url, 'delete', id);
    expect([deleted.code, JSON.parse(deleted.stdout)]).toEqual([0, { deleted: id }]);
    const gone = await submitCli(url, '--poll', id);
    expect([gone.code, gone.stderr]).toEqual([2, expect.stringContaining(`no job ${id}`)]);
    const refused = await submitCli(url, '--token', 'nope', '-n', 'x', '--skip-base', 'fake-os');
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('the token is not valid')]);
    expect((await store.list({})).total).toBe(1);
  });

  it("streams a job's changes as server-sent events", async () => {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const id = (await app.inject({ method: 'POST', url: '/api/jobs', headers: auth, payload: job })).json().id;
    const stream = await fetch(`${url}/api/jobs/${id}/events`);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const all = await fetch(`${url}/api/events`);
    const seen = readEvents(stream, (event, data) => event === 'job' && (data as { status: string }).status === 'CANCELLED');
    const seenByAll = readEvents(all, (event, data) => event === 'job' && (data as { id: string }).id === id);
    await app.inject({ method: 'POST', url: `/api/jobs/${id}/cancel`, headers: auth });
    const events = await seen;
    expect(events.map(([event, data]) => [event, (data as { status: string }).status])).toEqual([['job', 'QUEUED'], ['job', 'CANCELLED']]);
    expect((events[1]![1] as { logUrl: string }).logUrl).toBe(`http://127.0.0.1:8080/files/${id}/demo.log`);
    expect((await seenByAll).at(-1)![1]).toMatchObject({ id, status: 'CANCELLED' });
  });
});

describe('uploaded flavours', () => {
  it('are accepted when allowed, checked and planned with the server\'s own before the job is queued', async () => {
    await app.close();
    await store.close();
    await start({ allow_uploads: 'yes' });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    writeTree(join(tmp.path, 'mine'), {
      'extra/README.md': 'adds a file\n',
      'extra/flavour-deps': 'fake-os\n',
      'extra/install.d/50-extra': hook('echo extra > /extra'),
    });
    const submitted = await submitCli(url, '-n', 'up', '-t', 'tar', '--skip-base', '--upload', join(tmp.path, 'mine'), 'extra');
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = submitted.stdout.trim();
    expect(await store.get(id)).toMatchObject({ flavours: ['extra'], hasUpload: true, status: 'QUEUED' });
    expect((await store.spec(id))?.upload?.length).toBeGreaterThan(100);
    const unknown = await submitCli(url, '-n', 'up', '-t', 'tar', '--skip-base', '--upload', join(tmp.path, 'mine'), 'extra', 'missing');
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('missing')]);
    const garbage = await app.inject({ method: 'POST', url: '/api/jobs', headers: auth, payload: { ...job, upload: gzipSync('not a tar archive').toString('base64') } });
    expect([garbage.statusCode, garbage.json().field]).toEqual([400, 'upload']);
    expect((await store.list({})).total).toBe(1);
  });
});

describe('serve_base_dir', () => {
  it('serves base_dir at /files/, and leaves it to another web server when off', async () => {
    writeTree(join(tmp.path, 'images'), { 'some-job/demo.log': 'built\n' });
    const served = await app.inject({ url: '/files/some-job/demo.log' });
    expect([served.statusCode, served.body]).toEqual([200, 'built\n']);
    await app.close();
    await store.close();
    await start({ serve_base_dir: 'no', base_url: 'https://images.example.com' });
    expect((await app.inject({ url: '/files/some-job/demo.log' })).statusCode).toBe(404);
    const submitted = (await app.inject({ method: 'POST', url: '/api/jobs', headers: auth, payload: job })).json();
    expect(submitted.logUrl).toBe(`https://images.example.com/${submitted.id}/demo.log`);
  });
});
