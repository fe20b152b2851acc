// Workers on RabbitMQ, against a real broker on 127.0.0.1 that the test starts and stops: two
// kiln-worker processes share a base_dir with kiln-server --amqp. Ten jobs end DONE once each
// on both workers; a bare AMQP job message (IMG's format) gets IMG's result message; a cancel
// reaches the worker building; a stopped worker gives its job back and a killed one loses it to
// another; a broker restart loses nothing; a job that kills its worker every time is
// dead-lettered and ends ERROR.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../lib/service/job.js';
import { e2eCache } from '../helpers/e2e.js';
import { fixtures, hostState, isRoot, requireHostProgram } from '../helpers/host.js';
import { testBroker, type TestBroker } from '../helpers/rabbitmq.js';
import { startProcess, startServer, stopStarted, waitForJob, writeServiceFlavours, type ServiceProcess } from '../helpers/service.js';
import { hook, writeTree } from '../helpers/tree.js';

const MAX_DELIVERIES = 2;

describe.skipIf(!isRoot)('kiln workers over RabbitMQ (e2e)', () => {
  let dir: string;
  let broker: TestBroker;
  let server: Awaited<ReturnType<typeof startServer>>;
  const workers = new Map<string, ServiceProcess>();
  const before = hostState();
  let common: string[];

  /** A worker sharing the server's base_dir, or (`upload`) one with a folder of its own that uploads to the server. */
  const startWorker = async (name: string, upload = false): Promise<void> => {
    const where = upload
      ? ['--state-dir', join(dir, name), '--server-url', server.url, '--worker-token', 't-alice']
      : ['--state-dir', join(dir, 'state'), '--base-url', `${server.url}/files`];
    workers.set(name, await startProcess('kiln-worker', ['--amqp', broker.url, '--worker-name', name, ...where, ...common], {}, /takes jobs from image_queue/));
  };
  const fast = (name: string): object => ({ name, flavours: ['fake-os'], types: ['tar'], skipBase: true });
  const slow = (name: string, seconds: number): object => ({ name, flavours: ['slow'], types: ['tar'], skipBase: true, environment: { DIB_SLOW_SECONDS: String(seconds) } });
  const logOf = async (job: Job): Promise<string> => (await fetch(`${server.url}/api/jobs/${job.id}/log`)).text();
  /** The host once the builds of killed workers finished cleaning up (they get SIGTERM when their worker dies). */
  const settledHost = async (): Promise<ReturnType<typeof hostState>> => {
    for (let i = 0; i < 240 && JSON.stringify(hostState()) !== JSON.stringify(before); i++) await new Promise((r) => setTimeout(r, 500));
    return hostState();
  };

  beforeAll(async () => {
    requireHostProgram(existsSync('/usr/sbin/rabbitmq-server'), '/usr/sbin/rabbitmq-server', 'rabbitmq-server');
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-amqp-'));
    writeServiceFlavours(join(dir, 'flavours'));
    writeTree(join(dir, 'flavours'), {
      'poison/README.md': 'kills the kiln-worker that builds it\n',
      'poison/flavour-deps': 'fake-os\n',
      'poison/always-run': 'root.d/20-poison\n',
      'poison/root.d/20-poison': hook([
        'pid=$$',
        'while [ "$pid" -gt 1 ]; do',
        '  if tr "\\0" " " < /proc/$pid/cmdline | grep -q "bin/kiln-worker"; then kill -9 "$pid"; sleep 30; exit 1; fi',
        '  pid=$(sed "s/.*) //" /proc/$pid/stat | cut -d" " -f2)',
        'done',
        'echo "poison: no kiln-worker above me" >&2; exit 1',
      ].join('\n')),
    });
    common = ['--max-deliveries', String(MAX_DELIVERIES), '--flavours-path', `${join(dir, 'flavours')}:${fixtures}`, '--image-cache', e2eCache()];
    broker = await testBroker(join(dir, 'rabbitmq'));
    await broker.start();
    server = await startServer(['--amqp', broker.url, '--state-dir', join(dir, 'state'), ...common]);
    await Promise.all([startWorker('w1'), startWorker('w2')]);
  });
  afterAll(async () => {
    await stopStarted();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stops a worker at once on SIGTERM while RabbitMQ cannot be reached', async () => {
    const nowhere = await startProcess('kiln-worker', ['--amqp', 'amqp://guest:guest@127.0.0.1:9', '--state-dir', join(dir, 'nowhere'), ...common], {}, /cannot reach RabbitMQ[^]*cannot reach RabbitMQ/);
    // Now in its longest wait between attempts (about 15 s): SIGTERM must not wait for it.
    const asked = Date.now();
    expect(await nowhere.stop()).toBe(0);
    expect(Date.now() - asked).toBeLessThan(5000);
  });

  it('builds ten jobs on two workers, each DONE once, files and logs at their URLs', async () => {
    const submitted = [];
    for (let i = 0; i < 10; i++) submitted.push(await server.client.submit(fast(`ten-${i}`) as never));
    const jobs = await Promise.all(submitted.map((j) => waitForJob(server.client, j.id, ['DONE', 'ERROR', 'CANCELLED'], 600_000)));
    expect(jobs.map((j) => [j.status, j.attempts, j.error])).toEqual(jobs.map(() => ['DONE', 1, '']));
    expect(new Set(jobs.map((j) => j.worker))).toEqual(new Set(['w1', 'w2']));
    for (const job of jobs) {
      const image = await fetch(job.imageUrls[0]!);
      expect([image.status, Number(image.headers.get('content-length'))]).toEqual([200, job.files[0]!.bytes]);
      expect(await logOf(job)).toContain('kiln: job DONE after');
    }
    const { workers: seen } = (await (await fetch(`${server.url}/api/workers`)).json()) as { workers: { id: string; kind: string; state: string }[] };
    expect(seen.filter((w) => w.kind === 'amqp' && w.state !== 'stopped').map((w) => w.id).sort()).toEqual(['w1', 'w2']);
  });

  it('answers a bare AMQP job message with the documented result message; refuses uploaded flavours', async () => {
    const connection = await connect(broker.url);
    try {
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, 'django_result_exchange', 'status');
      const results = new Map<string, (body: Record<string, string>) => void>();
      await channel.consume(queue, (message) => {
        const body = JSON.parse(message!.content.toString()) as Record<string, string>;
        if (['DONE', 'ERROR'].includes(body.status!)) results.get(body.id!)?.(body);
      }, { noAck: true });
      const send = (job: Record<string, string>): Promise<Record<string, string>> => {
        const answer = new Promise<Record<string, string>>((resolve) => results.set(job.id!, resolve));
        channel.publish('image_exchange', 'img', Buffer.from(JSON.stringify(job)), { persistent: true });
        return answer;
      };
      const [id, sneaky] = [randomUUID(), randomUUID()];
      const [answer, refused] = await Promise.all([
        send({ email: 'bare@example.com', id, imagetype: 'tar', name: 'bare', arch: 'x86_64', release: '', ksfile: JSON.stringify({ flavours: ['fake-os'], skipBase: true }) }),
        // The server refuses uploads (allow_uploads = no); a message that skips it meets the worker's check.
        send({ id: sneaky, imagetype: 'tar', name: 'sneaky', ksfile: JSON.stringify({ flavours: ['fake-os'], skipBase: true }), upload: 'H4sIAAAAAAAAAwMAAAAAAAAAAAA=' }),
      ]);
      expect(answer).toMatchObject({ id, status: 'DONE', error: '', url: `${server.url}/files/${id}/bare.tar`, image: `${server.url}/files/${id}/bare.tar`, log: `${server.url}/files/${id}/bare.log` });
      expect((await fetch(answer.url!)).status).toBe(200);
      expect(await (await fetch(answer.log!)).text()).toContain('kiln: job DONE after');
      expect(await server.client.job(id)).toMatchObject({ status: 'DONE', user: '', email: 'bare@example.com', arch: 'amd64' });
      expect(refused).toMatchObject({ id: sneaky, status: 'ERROR' });
      expect(refused.error).toContain('does not accept them (allow_uploads = no)');
    } finally {
      await connection.close();
    }
  });

  it('cancels a build on a worker through the control exchange, with kiln\'s clean-up', async () => {
    const job = await server.client.submit(slow('cancel-me', 300) as never);
    await waitForJob(server.client, job.id, ['BUILDING'], 120_000);
    for (let i = 0; i < 600 && !(await logOf(job)).includes('slow: sleeping'); i++) await new Promise((r) => setTimeout(r, 200));
    await server.client.cancel(job.id);
    const cancelled = await waitForJob(server.client, job.id, ['CANCELLED', 'DONE', 'ERROR'], 120_000);
    expect([cancelled.status, cancelled.error]).toEqual(['CANCELLED', 'cancelled']);
    expect(hostState()).toEqual(before);
  });

  it('requeues the job of a stopped worker without counting it lost; gives the job of a killed worker to another', async () => {
    const job = await server.client.submit(slow('orphan', 12) as never);
    /** Waits until a worker other than `not` builds the job and its build reached the slow hook (the `n`th time). */
    const sleepingOn = async (n: number, not = ''): Promise<string> => {
      for (let i = 0; i < 1500; i++) {
        const now = await server.client.job(job.id);
        if (now.status === 'BUILDING' && now.worker !== not && (await logOf(job)).split('slow: sleeping').length > n) return now.worker;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`job ${job.id} did not reach its slow hook ${n} times`);
    };
    // SIGTERM: the worker stops the build, and the job is queued again and taken by the other one.
    const stopped = await sleepingOn(1);
    expect(await workers.get(stopped)!.stop()).toBe(0);
    workers.delete(stopped);
    const victim = await sleepingOn(2, stopped);
    await startWorker('w3');
    // SIGKILL: RabbitMQ gives the job to w3; with max_deliveries 2 the give-back above must not have counted.
    workers.get(victim)!.child.kill('SIGKILL');
    await workers.get(victim)!.exited;
    workers.delete(victim);
    const done = await waitForJob(server.client, job.id, ['DONE', 'ERROR'], 300_000);
    expect([done.status, done.worker, done.error]).toEqual(['DONE', 'w3', '']);
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(done.notes.join('\n')).toContain(`on ${stopped}: the worker stopped the build and gave the job back; queued again`);
    // The next worker started on this machine clears the folder the killed worker left; the build cleaned up itself.
    await startWorker('w4');
    expect(readdirSync(join(dir, 'state/work'))).toEqual([]);
    expect(hostState()).toEqual(before);
  });

  it('loses nothing when RabbitMQ restarts with jobs queued; workers reconnect by themselves', async () => {
    const submitted = [];
    for (let i = 0; i < 4; i++) submitted.push(await server.client.submit(slow(`restart-${i}`, 4) as never));
    for (const job of submitted.slice(0, 2)) await waitForJob(server.client, job.id, ['BUILDING', 'DONE'], 120_000);
    await broker.stop();
    // Submitted while the broker is away: kept in the job store and published when it is back.
    submitted.push(await server.client.submit(fast('during-outage') as never));
    await broker.start();
    const jobs = await Promise.all(submitted.map((j) => waitForJob(server.client, j.id, ['DONE', 'ERROR', 'CANCELLED'], 600_000)));
    expect(jobs.map((j) => [j.name, j.status, j.error])).toEqual(jobs.map((j) => [j.name, 'DONE', '']));
    for (const worker of workers.values()) expect(worker.output()).toContain('connected to RabbitMQ at');
    expect(server.output()).toMatch(/connected to RabbitMQ at \S+ again/);
  });

  it('uploads the results to kiln-server when base_dir is not shared', async () => {
    for (const [name, worker] of workers) {
      await worker.stop();
      workers.delete(name);
    }
    await startWorker('w-http', true);
    const job = await server.client.submit({ ...fast('uploaded'), types: ['tar', 'tgz'] } as never);
    const done = await waitForJob(server.client, job.id, ['DONE', 'ERROR'], 300_000);
    expect([done.status, done.worker, done.error]).toEqual(['DONE', 'w-http', '']);
    expect(readdirSync(join(dir, 'state/images', job.id)).sort()).toEqual(['uploaded.cdx.json', 'uploaded.log', 'uploaded.manifest.json', 'uploaded.spdx.json', 'uploaded.tar', 'uploaded.tgz']);
    expect(existsSync(join(dir, 'w-http/images', job.id))).toBe(false);
    const tgz = await fetch(done.imageUrls[1]!);
    expect([tgz.status, Number(tgz.headers.get('content-length'))]).toEqual([200, done.files[1]!.bytes]);
    await startWorker('w-shared');
  });

  it('dead-letters a job that kills its worker every time: ERROR after max_deliveries', async () => {
    const job = await server.client.submit({ name: 'poison', flavours: ['poison'], types: ['tar'], skipBase: true });
    const failed = await waitForJob(server.client, job.id, ['DONE', 'ERROR'], 600_000);
    expect(failed.status).toBe('ERROR');
    expect(failed.error).toContain(`worker lost ${MAX_DELIVERIES} times`);
    expect([...workers.values()].filter((w) => w.child.signalCode === 'SIGKILL').length).toBe(MAX_DELIVERIES);
    expect(await logOf(failed)).toContain(`worker lost ${MAX_DELIVERIES} times`);
    expect(await settledHost()).toEqual(before);
  });
});
