// Nothing lost: kill kiln-server with SIGKILL while one job builds (in the chroot, mounts in
// place) and three wait; start it again on the same state. Every job ends with an explanation,
// the interrupted one is requeued once and built after its first build stopped, the others run
// once, and the host is left as it was.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eCache } from '../helpers/e2e.js';
import { fixtures, hostState, isRoot } from '../helpers/host.js';
import { startServer, stopStarted, waitForJob, writeServiceFlavours } from '../helpers/service.js';

describe.skipIf(!isRoot)('kiln-server killed and restarted (e2e)', () => {
  let dir: string;
  let args: string[];
  const before = hostState();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-restart-'));
    writeServiceFlavours(join(dir, 'flavours'));
    args = ['--state-dir', join(dir, 'state'), '--workers', '1', '--flavours-path', `${join(dir, 'flavours')}:${fixtures}`, '--image-cache', e2eCache()];
  });
  afterAll(async () => {
    await stopStarted();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no job and runs none twice at once', async () => {
    const first = await startServer(args);
    const slow = await first.client.submit({ name: 'slow', flavours: ['slow'], types: ['tar'], skipBase: true, environment: { DIB_SLOW_SECONDS: '15' } });
    const queued = [];
    for (const name of ['q1', 'q2', 'q3']) queued.push(await first.client.submit({ name, flavours: ['fake-os'], types: ['tar'], skipBase: true }));
    await waitForJob(first.client, slow.id, ['BUILDING'], 120_000);
    for (let i = 0; i < 600 && !(await (await fetch(`${first.url}/api/jobs/${slow.id}/log`)).text()).includes('slow: sleeping'); i++) await new Promise((r) => setTimeout(r, 200));
    expect(hostState().mounts.length).toBeGreaterThan(before.mounts.length);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startServer(args);
    try {
      expect(second.output()).toContain(`job ${slow.id} (slow): `);
      const restarted = await waitForJob(second.client, slow.id, ['BUILDING', 'DONE', 'ERROR'], 120_000);
      expect(restarted.notes.join('\n')).toMatch(/attempt 1 on \S+ interrupted by a server restart.*; requeued/);
      const ended = await waitForJob(second.client, slow.id, ['CANCELLED', 'DONE', 'ERROR'], 300_000);
      expect(ended).toMatchObject({ status: 'DONE', attempts: 2, error: '' });
      const log = await (await fetch(ended.logUrl)).text();
      const interrupted = log.indexOf('interrupted by a server restart');
      expect(interrupted).toBeGreaterThan(log.indexOf(`kiln: job ${slow.id} "slow", attempt 1`));
      expect(log.indexOf(`kiln: job ${slow.id} "slow", attempt 2`)).toBeGreaterThan(interrupted);
      for (const job of queued) {
        const done = await waitForJob(second.client, job.id, ['DONE', 'ERROR', 'CANCELLED'], 300_000);
        expect([done.name, done.status, done.attempts, done.error]).toEqual([job.name, 'DONE', 1, '']);
      }
      expect((await second.client.list({})).total).toBe(4);
    } finally {
      expect(await second.stop()).toBe(0);
    }
    expect(hostState()).toEqual(before);
  });
});
