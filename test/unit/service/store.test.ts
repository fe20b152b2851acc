// The SQLite job store, in memory: the queue order, atomic claims, guarded updates, listing,
// and deletion that remembers the id.
import { describe, expect, it } from 'vitest';
import { SqliteJobStore } from '../../../lib/service/store/sqlite.js';
import { newJob } from '../../../lib/service/recorder.js';
import { normaliseSubmission } from '../../../lib/service/submission.js';

const target = { baseDir: '/srv/images', baseUrl: 'http://x/files' };

async function storeWith(names: string[]): Promise<{ store: SqliteJobStore; ids: string[] }> {
  const store = new SqliteJobStore(':memory:');
  const ids: string[] = [];
  for (const name of names) {
    const spec = normaliseSubmission({ name, flavours: ['fake-os'], types: ['tar'], email: `${name}@example.com` }, { email: 'x' });
    await store.insert(newJob(spec, name === 'c' ? 'carol' : 'alice', target), name === 'b' ? 'dXBsb2Fk' : undefined);
    ids.push(spec.id);
  }
  return { store, ids };
}

describe('SqliteJobStore', () => {
  it('hands out queued jobs oldest first, each once', async () => {
    const { store, ids } = await storeWith(['a', 'b', 'c']);
    const first = await store.claimNext('w1');
    const second = await store.claimNext('w2');
    expect([first?.id, second?.id]).toEqual([ids[0], ids[1]]);
    expect(first).toMatchObject({ status: 'BUILDING', worker: 'w1', attempts: 1 });
    expect((await store.spec(ids[1]!))?.upload).toBe('dXBsb2Fk');
    expect((await store.get(ids[1]!))?.hasUpload).toBe(true);
    await store.claimNext('w3');
    expect(await store.claimNext('w4')).toBeUndefined();
  });

  it('changes a job only in the states given', async () => {
    const { store, ids } = await storeWith(['a']);
    expect(await store.updateIf(ids[0]!, ['BUILDING'], { status: 'DONE' })).toBeUndefined();
    expect((await store.updateIf(ids[0]!, ['QUEUED'], { status: 'CANCELLED', notes: ['n'] }))?.notes).toEqual(['n']);
    expect((await store.counts()).CANCELLED).toBe(1);
  });

  it('lists with filters and pages, newest first', async () => {
    const { store, ids } = await storeWith(['a', 'b', 'c']);
    await store.claimNext('w');
    expect((await store.list({})).jobs.map((j) => j.id)).toEqual([...ids].reverse());
    expect((await store.list({ status: ['BUILDING'] })).jobs.map((j) => j.name)).toEqual(['a']);
    expect((await store.list({ user: 'carol' })).total).toBe(1);
    expect((await store.list({ email: 'b@example.com' })).jobs[0]?.name).toBe('b');
    expect((await store.list({ name: '%' })).total).toBe(0);
    const page = await store.list({ limit: 1, offset: 1 });
    expect([page.total, page.jobs[0]?.name]).toEqual([3, 'b']);
  });

  it('remembers deleted ids and stop requests', async () => {
    const { store, ids } = await storeWith(['a']);
    await store.requestStop(ids[0]!, 'cancel');
    expect(await store.stopRequested(ids[0]!)).toEqual({ cancel: true, delete: false });
    expect(await store.remove(ids[0]!)).toBe(true);
    expect(await store.get(ids[0]!)).toBeUndefined();
    expect(await store.wasDeleted(ids[0]!)).toBe(true);
  });

  it('keeps workers', async () => {
    const { store } = await storeWith([]);
    const worker = { id: 'h:1/1', host: 'h', pid: 1, kind: 'embedded' as const, job: '', startedAt: 't0', lastSeen: 't1', alive: true };
    await store.saveWorker(worker);
    await store.saveWorker({ ...worker, job: 'j', lastSeen: 't2' });
    expect(await store.listWorkers()).toEqual([{ ...worker, job: 'j', lastSeen: 't2' }]);
  });
});
