// Workers on RabbitMQ, against a real broker on 127.0.0.1 that the test starts and stops: two
// kiln-worker processes share a base_dir with kiln-server --amqp. Ten jobs end DONE once each
// on both workers; a bare AMQP job message (IMG's format) gets IMG's result message; a cancel
// reaches the worker building; a stopped worker gives its job back and a killed one loses it to
// another; a broker restart loses nothing; a job that kills its worker every time is
// dead-lettered and ends ERROR (and its result message says so); a worker that stops answering
// (SIGSTOP: no heartbeats) loses its job to another and, woken, stops its build and reconnects.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../lib/service/job.js';
import { e2eCache } from '../helpers/e2e.js';
import { fixtures, hostState, isRoot, requireHostProgram } from '../helpers/host.js';
import { testBroker, type TestBroker } from '../helpers/rabbitmq.js';
import { startProcess, startServer, stopStarted, waitForJob, writeServiceFlavours, type ServiceProcess } from '../helpers/service.js';
import { hook, writeTree } from '../helpers/tree.js';

const MAX_DELIVERIES = 2;
const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!isRoot)('kiln workers over RabbitMQ (e2e)', () => {
  let dir: string;
  let broker: TestBroker;
  let server: Awaited<ReturnType<typeof startServer>>;
  const workers = new Map<string, ServiceProcess>();
  const before = hostState();
  let common: string[];

  /** A worker sharing the server's base_dir, or (`upload`) one with a folder of its own that uploads to the server. */
  const startWorker = async (name: string, upload = false, url = broker.url): Promise<void> => {
    const where = upload
      ? ['--state-dir', join(dir, name), '--server-url', server.url, '--worker-token', 't-alice']
      : ['--state-dir', join(dir, 'state'), '--base-url', `${server.url}/files`];
    workers.set(name, await startProcess('kiln-worker', ['--amqp', url, '--worker-name', name, ...where, ...common], {}, /takes jobs from image_queue/));
  };
  const fast = (name: string): object => ({ name, flavours: ['fake-os'], types: ['tar'], skipBase: true });
  const slow = (name: string, seconds: number): object => ({ name, flavours: ['slow'], types: ['tar'], skipBase: true, environment: { DIB_SLOW_SECONDS: String(seconds) } });
  const logOf = async (job: Job): Promise<string> => (await fetch(`${server.url}/api/jobs/${job.id}/log`)).text();
  /** Waits until `job` is BUILDING on a worker that `accept`s it and its log has `text` more than `n` times; the worker. */
  const buildingOn = async (job: Job, text: string, n: number, accept: (worker: string) => boolean): Promise<string> => {
    for (let i = 0; i < 1500; i++) {
      const now = await server.client.job(job.id);
      if (now.status === 'BUILDING' && accept(now.worker) && (await logOf(job)).split(text).length > n + 1) return now.worker;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`job ${job.id} did not reach "${text}" ${n + 1} times`);
  };
  /** IMG's result messages on django_result_exchange, as a client that speaks only AMQP gets them. */
  const resultListener = async () => {
    const connection = await connect(broker.url);
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, 'django_result_exchange', 'status');
    const results = new Map<string, Record<string, string>>();
    const waiting = new Map<string, (body: Record<string, string>) => void>();
    await channel.consume(queue, (message) => {
      const body = JSON.parse(message!.content.toString()) as Record<string, string>;
      if (!['DONE', 'ERROR'].includes(body.status!)) return;
      results.set(body.id!, body);
      waiting.get(body.id!)?.(body);
    }, { noAck: true });
    return {
      channel,
      result: (id: string): Promise<Record<string, string>> => new Promise((resolve) => (results.has(id) ? resolve(results.get(id)!) : waiting.set(id, resolve))),
      close: () => connection.close(),
    };
  };
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
      'sleepy/README.md': 'sleeps 300 s on the host in its first build, not in the builds after it\n',
      'sleepy/flavour-deps': 'fake-os\n',
      'sleepy/always-run': 'root.d/20-sleepy\n',
      'sleepy/root.d/20-sleepy': hook(`if mkdir "${join(dir, 'slept')}" 2>/dev/null; then echo "sleepy: sleeping"; sleep 300; fi`),
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
    const listener = await resultListener();
    try {
      const send = (job: Record<string, string>): Promise<Record<string, string>> => {
        listener.channel.publish('image_exchange', 'img', Buffer.from(JSON.stringify(job)), { persistent: true });
        return listener.result(job.id!);
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
      await listener.close();
    }
  });

  it('cancels a build on a worker through the control exchange, with kiln\'s clean-up', async () => {
    const job = await server.client.submit(slow('cancel-me', 300) as never);
    await waitForJob(server.client, job.id, ['BUILDING'], 120_000);
    const holder = await buildingOn(job, 'slow: sleeping', 0, () => true);
    // Progress streamed live: the phase it is in; the API and the page show who builds it and when it was heard from.
    expect((await server.client.job(job.id)).phase).toBe('install');
    const { workers: seen } = (await (await fetch(`${server.url}/api/workers`)).json()) as { workers: { id: string; job: string; state: string; lastSeen: string }[] };
    const entry = seen.find((w) => w.id === holder);
    expect(entry).toMatchObject({ job: job.id, state: 'building' });
    expect(Date.now() - Date.parse(entry!.lastSeen)).toBeLessThan(30_000);
    const browser = await chromium.launch({ executablePath: requireHostProgram(existsSync(CHROMIUM) && CHROMIUM, CHROMIUM, 'chromium'), args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      const row = page.locator('#workers li', { has: page.locator(`a[href="/jobs/${job.id}"]`) });
      await expect.poll(() => row.textContent(), { timeout: 30_000 }).toMatch(new RegExp(`^${holder}building\\s*seen \\d+ s ago$`));
      expect(await page.locator('#workers li .mono').allTextContents()).toEqual(expect.arrayContaining(['w1', 'w2']));
    } finally {
      await browser.close();
    }
    await server.client.cancel(job.id);
    const cancelled = await waitForJob(server.client, job.id, ['CANCELLED', 'DONE', 'ERROR'], 120_000);
    expect([cancelled.status, cancelled.error]).toEqual(['CANCELLED', 'cancelled']);
    expect(hostState()).toEqual(before);
  });

  it('requeues the job of a stopped worker without counting it lost; gives the job of a killed worker to another', async () => {
    const job = await server.client.submit(slow('orphan', 12) as never);
    /** Waits until a worker other than `not` builds the job and its build reached the slow hook (the `n`th time). */
    const sleepingOn = (n: number, not = ''): Promise<string> => buildingOn(job, 'slow: sleeping', n - 1, (w) => w !== not);
    // SIGTERM: the worker stops the build, and the job is queued again and taken by the other one.
    const stopped = await sleepingOn(1);
    expect(await workers.get(stopped)!.stop()).toBe(0);
    workers.delete(stopped);
    const victim = await sleepingOn(2, stopped);
    await startWorker('w3');
    // SIGKILL: RabbitMQ gives the job to w3; with max_deliveries 2 the give-back above must not have counted.
    const victimPid = workers.get(victim)!.child.pid!;
    workers.get(victim)!.child.kill('SIGKILL');
    await workers.get(victim)!.exited;
    workers.delete(victim);
    const done = await waitForJob(server.client, job.id, ['DONE', 'ERROR'], 300_000);
    expect([done.status, done.worker, done.error], `w3 said:\n${workers.get('w3')!.output()}`).toEqual(['DONE', 'w3', '']);
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(done.notes.join('\n')).toContain(`on ${stopped}: the worker stopped the build and gave the job back; queued again`);
    // The next worker started on this machine clears the folder the killed worker left; the build cleaned up itself.
    await expect.poll(() => readdirSync(join(dir, 'state/work')), { timeout: 30_000 }).toEqual([`${job.id}.${victimPid}`]);
    await startWorker('w4');
    expect(workers.get('w4')!.output()).toContain(`left by worker process ${victimPid} that is gone`);
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
    for (const worker of workers.values()) expect(worker.output()).toMatch(/connected to RabbitMQ at \S+ again/);
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
    const listener = await resultListener();
    const job = await server.client.submit({ name: 'poison', flavours: ['poison'], types: ['tar'], skipBase: true });
    const failed = await waitForJob(server.client, job.id, ['DONE', 'ERROR'], 600_000);
    // A client that speaks only AMQP hears of it too.
    expect(await listener.result(job.id)).toMatchObject({ id: job.id, status: 'ERROR', url: '', log: failed.logUrl, error: failed.error });
    await listener.close();
    expect(failed.status).toBe('ERROR');
    expect(failed.error).toContain(`worker lost ${MAX_DELIVERIES} times`);
    expect([...workers.values()].filter((w) => w.child.signalCode === 'SIGKILL').length).toBe(MAX_DELIVERIES);
    expect(await logOf(failed)).toContain(`worker lost ${MAX_DELIVERIES} times`);
    expect(await settledHost()).toEqual(before);
  });

  it('gives the job of a worker that stops answering (no heartbeats) to another; woken, it stops its build and reconnects', async () => {
    for (const [name, worker] of workers) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) await worker.stop();
      workers.delete(name);
    }
    // A short heartbeat (4 s) for the worker that freezes: RabbitMQ gives up on it after two missed ones.
    await startWorker('w-frozen', false, `${broker.url}?heartbeat=4`);
    const job = await server.client.submit({ name: 'frozen', flavours: ['sleepy'], types: ['tar'], skipBase: true });
    await buildingOn(job, 'sleepy: sleeping', 0, (w) => w === 'w-frozen');
    await startWorker('w-awake');
    const frozen = workers.get('w-frozen')!;
    frozen.child.kill('SIGSTOP');
    try {
      // Its build goes on sleeping (300 s); the job goes to w-awake, whose build does not sleep.
      const done = await waitForJob(server.client, job.id, ['DONE', 'ERROR'], 300_000);
      expect([done.status, done.worker, done.error]).toEqual(['DONE', 'w-awake', '']);
      expect(done.notes.join('\n')).toContain('the previous worker (w-frozen) was lost');
    } finally {
      frozen.child.kill('SIGCONT');
    }
    // Woken, w-frozen finds its connection closed: it stops the build long before its 300 s sleep ends, with kiln's clean-up.
    await expect.poll(() => frozen.output(), { timeout: 60_000 }).toMatch(/lost the connection to RabbitMQ[^]*connected to RabbitMQ at \S+ again/);
    expect(await settledHost()).toEqual(before);
    await expect.poll(() => readdirSync(join(dir, 'state/work')), { timeout: 30_000 }).toEqual([]);
    expect(frozen.child.exitCode).toBeNull();
  });
});
