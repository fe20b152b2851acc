// The recorder's rules for reports that come twice or late: a copy of a job another worker is
// building is stopped, a redelivery takes over, and only the worker holding a job may end it.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { JobEvents } from '../../../lib/service/job-events.js';
import { JobLogs } from '../../../lib/service/job-log.js';
import type { FinishedEvent, HeartbeatEvent, StartedEvent } from '../../../lib/service/protocol.js';
import { JobRecorder, newJob } from '../../../lib/service/recorder.js';
import { SqliteJobStore } from '../../../lib/service/store/sqlite.js';
import { normaliseSubmission } from '../../../lib/service/submission.js';
import { tempDir } from '../../helpers/tree.js';

const folder = tempDir();
const target = { baseDir: folder.path, baseUrl: 'http://x/files' };
afterAll(() => folder.cleanup());
const spec = normaliseSubmission({ name: 'r', flavours: ['fake-os'], types: ['tar'] }, { email: '' });
let store: SqliteJobStore;
let stopped: string[];
let recorder: JobRecorder;

const started = (worker: string, attempt: number, redelivered: boolean): StartedEvent => ({ type: 'started', id: spec.id, worker, attempt, redelivered, job: spec, status: 'BUILDING', at: 't' });
const beat = (worker: string, job: string): HeartbeatEvent => ({ type: 'heartbeat', worker, host: 'h', pid: 1, job, startedAt: 't', at: 't', alive: true });
const finished = (worker: string, status: FinishedEvent['status']): FinishedEvent => ({ type: 'finished', id: spec.id, attempt: 1, worker, status, error: '', files: [], progress: [], url: '', image: '', log: '', at: 't' });

beforeEach(async () => {
  store = new SqliteJobStore(':memory:');
  stopped = [];
  recorder = new JobRecorder(store, new JobLogs(target.baseDir), new JobEvents(), target, async (id, worker) => void stopped.push(`${id}@${worker}`), (w) => (w.startsWith('e') ? 'embedded' : 'amqp'));
  await store.insert(newJob(spec, 'alice', target));
});

describe('JobRecorder', () => {
  it('stops a duplicate delivery and lets a redelivery take over', async () => {
    await recorder.report(started('w1', 1, false));
    await recorder.report(started('w2', 1, false));
    expect(stopped).toEqual([`${spec.id}@w2`]);
    expect((await store.get(spec.id))?.worker).toBe('w1');
    await recorder.report(started('w2', 2, true));
    const job = await store.get(spec.id);
    expect([job?.worker, job?.attempts, job?.notes[0]]).toEqual(['w2', 2, 't: attempt 2 on w2: the previous worker (w1) was lost']);
  });

  it('ignores the late result of a worker that lost the job, and a second result', async () => {
    await recorder.report(started('w1', 1, false));
    await recorder.report(started('w2', 2, true));
    await recorder.report(finished('w1', 'ERROR'));
    expect((await store.get(spec.id))?.status).toBe('BUILDING');
    await recorder.report(finished('w2', 'DONE'));
    await recorder.report(finished('w2', 'ERROR'));
    expect((await store.get(spec.id))?.status).toBe('DONE');
  });

  it('creates the record of a job it learns of from a worker (a bare AMQP message)', async () => {
    const bare = normaliseSubmission({ name: 'bare', flavours: ['fake-os'] }, { email: 'b@example.com' });
    await recorder.report({ ...started('w1', 1, false), id: bare.id, job: bare });
    expect(await store.get(bare.id)).toMatchObject({ status: 'BUILDING', user: '', email: 'b@example.com' });
  });

  it("queues a job again when its worker on RabbitMQ reports it builds nothing (it gave the job back)", async () => {
    await recorder.report(started('w1', 1, false));
    await recorder.report(beat('w1', spec.id));
    await recorder.report(beat('w2', ''));
    expect((await store.get(spec.id))?.status).toBe('BUILDING');
    await recorder.report(beat('w1', ''));
    const job = await store.get(spec.id);
    expect([job?.status, job?.worker, job?.notes.at(-1)]).toEqual(['QUEUED', '', 't: attempt 1 on w1: the worker stopped the build and gave the job back; queued again']);
    await recorder.report(started('w2', 2, true));
    expect((await store.get(spec.id))?.notes).toHaveLength(1);
  });

  it("leaves the jobs of the server's own workers to the embedded queue", async () => {
    await recorder.report(started('e1', 1, false));
    await recorder.report(beat('e1', ''));
    expect((await store.get(spec.id))?.status).toBe('BUILDING');
  });
});
