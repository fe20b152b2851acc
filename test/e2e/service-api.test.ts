// The build service on one machine, through its HTTP API against a real kiln-server on
// 127.0.0.1 and real builds: a fast tree of the fake-os fixture, a real Debian tarball, a failing
// hook, cancelling a build in the chroot, deleting, post_creation, auth, and the log stream.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eCache } from '../helpers/e2e.js';
import { fixtures, hostState, isRoot, kiln } from '../helpers/host.js';
import { startServer, stopStarted, waitForJob, writeServiceFlavours } from '../helpers/service.js';
import { hook, writeTree } from '../helpers/tree.js';

describe.skipIf(!isRoot)('kiln-server on one machine (e2e)', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startServer>>;
  const before = hostState();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-service-'));
    writeServiceFlavours(join(dir, 'flavours'));
    writeTree(dir, { 'post-creation': hook(`env | grep ^KILN_JOB_ | sort > "${dir}/post-creation.$KILN_JOB_ID"`) });
    server = await startServer(
      ['--state-dir', join(dir, 'state'), '--workers', '2', '--flavours-path', `${join(dir, 'flavours')}:${fixtures}`, '--image-cache', e2eCache(), '--post-creation', join(dir, 'post-creation'), '--kiln-opts', '--checksum', '--allow-uploads', 'yes'],
    );
  });
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    await stopStarted();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds a job to DONE: images, checksums and log at their URLs, post_creation told', async () => {
    const job = await server.client.submit({ name: 'fast', flavours: ['fake-os'], types: ['tar', 'tgz'], skipBase: true, email: 'alice@example.com' });
    const done = await waitForJob(server.client, job.id, ['DONE', 'ERROR'], 300_000);
    expect(done.error).toBe('');
    expect(done.status).toBe('DONE');
    expect(done.files.map((f) => [f.name, f.kind])).toEqual([
      ['fast.tar', 'image'], ['fast.tgz', 'image'], ['fast.log', 'log'],
      // The build's manifest and SBOMs are published beside the image.
      ['fast.manifest.json', 'manifest'], ['fast.cdx.json', 'sbom'], ['fast.spdx.json', 'sbom'],
      ['fast.tar.md5', 'other'], ['fast.tar.sha256', 'other'], ['fast.tgz.md5', 'other'], ['fast.tgz.sha256', 'other'],
    ]);
    expect(done.imageUrls).toEqual([`${server.url}/files/${job.id}/fast.tar`, `${server.url}/files/${job.id}/fast.tgz`]);
    expect(done.progress.every((p) => p.state === 'done' || p.state === 'cached')).toBe(true);
    const tar = Buffer.from(await (await fetch(done.imageUrls[0]!)).arrayBuffer());
    expect(tar.length).toBe(done.files[0]!.bytes);
    const sha = (await (await fetch(`${server.url}/files/${job.id}/fast.tar.sha256`)).text()).split(/\s/)[0];
    expect(execFileSync('sha256sum', { input: tar }).toString().split(' ')[0]).toBe(sha);
    const log = await (await fetch(done.logUrl)).text();
    expect(log).toContain(`kiln: job ${job.id} "fast", attempt 1`);
    expect(log).toContain('kiln: job DONE after');
    expect((await fetch(`${server.url}/images/${job.id}`, { redirect: 'manual' })).headers.get('location')).toBe(done.imageUrls[0]);
    const told = readFileSync(join(dir, `post-creation.${job.id}`), 'utf8');
    expect(told).toContain(`KILN_JOB_IMAGE_URLS=${done.imageUrls.join(' ')}`);
    expect(told).toContain('KILN_JOB_EMAIL=alice@example.com');
    expect(told).toContain(`KILN_JOB_DIR=${join(dir, 'state/images', job.id)}`);
    // Deleting a finished job takes its images, checksums, SBOMs and log with it.
    expect(await server.client.remove(job.id)).toEqual({ deleted: job.id });
    expect(existsSync(join(dir, 'state/images', job.id))).toBe(false);
    expect((await fetch(done.imageUrls[0]!)).status).toBe(404);
    expect((await fetch(`${server.url}/api/jobs/${job.id}`)).status).toBe(404);
  });

  it('builds a flavour uploaded with the job (kiln-submit --upload), unpacked for that build only', async () => {
    writeTree(dir, {
      'mine/extra/README.md': 'adds a file\n',
      'mine/extra/flavour-deps': 'fake-os\n',
      'mine/extra/install.d/50-extra': hook('echo "from the upload" > /extra'),
    });
    const env = { KILN_SERVER: server.url, KILN_TOKEN: 't-alice' };
    const result = await kiln('kiln-submit', ['-n', 'uploaded', '-t', 'tar', '--skip-base', '--upload', join(dir, 'mine'), '--download', join(dir, 'up'), 'extra'], env);
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(execFileSync('tar', ['-xOf', join(dir, 'up/uploaded.tar'), './extra']).toString()).toBe('from the upload\n');
    expect(hostState()).toEqual(before);
  });

  it('builds kiln\'s JSON build spec submitted with kiln-submit -k, following and downloading it', async () => {
    writeTree(dir, { 'spec.json': JSON.stringify({ flavours: ['fake-os'], types: ['tar.zst'], skipBase: true, environment: { DIB_RELEASE: 'one' } }) });
    const env = { KILN_SERVER: server.url, KILN_TOKEN: 't-alice' };
    const result = await kiln('kiln-submit', ['-k', join(dir, 'spec.json'), '-n', 'from-spec', '-t', 'tar', '--wait', '--download', join(dir, 'dl')], env);
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    const [id, ...paths] = result.stdout.trim().split('\n');
    expect(paths).toEqual(['from-spec.tar', 'from-spec.log', 'from-spec.manifest.json', 'from-spec.cdx.json', 'from-spec.spdx.json', 'from-spec.tar.md5', 'from-spec.tar.sha256'].map((f) => join(dir, 'dl', f)));
    expect(execFileSync('sha256sum', ['-c', 'from-spec.tar.sha256'], { cwd: join(dir, 'dl') }).toString()).toContain('OK');
    expect(result.stderr).toContain('kiln: job DONE after');
    const job = await server.client.job(id!);
    expect(job.spec).toEqual({ flavours: ['fake-os'], types: ['tar'], skipBase: true, environment: { DIB_RELEASE: 'one' } });
    expect(execFileSync('tar', ['-tf', join(dir, 'dl/from-spec.tar')]).toString()).toContain('./bin/busybox');
    const failed = await kiln('kiln-submit', ['-n', 'nope', '-t', 'tar', '--skip-base', '--wait', 'fails'], env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('ERROR: hook install.d/50-fails');
  });

  it('builds a real Debian root from the warm cache', async () => {
    const job = await server.client.submit({ name: 'deb', flavours: ['debian'], types: ['tar'], release: 'bookworm', skipBase: true });
    const done = await waitForJob(server.client, job.id, ['DONE', 'ERROR'], 1_200_000);
    expect(done.error).toBe('');
    const tarball = join(dir, 'deb.tar');
    execFileSync('curl', ['-sfo', tarball, done.imageUrls[0]!]);
    expect(execFileSync('tar', ['-xOf', tarball, './usr/lib/os-release']).toString()).toContain('bookworm');
  });

  it('ends a failing hook in ERROR with its message, and keeps the log', async () => {
    const job = await server.client.submit({ name: 'broken', flavours: ['fails'], types: ['tar'], skipBase: true });
    const failed = await waitForJob(server.client, job.id, ['DONE', 'ERROR'], 300_000);
    expect(failed.status).toBe('ERROR');
    expect(failed.error).toContain('hook install.d/50-fails (flavour fails, phase install, in chroot) exited with code 3');
    expect(failed.error).toContain('the widget is broken');
    expect(failed.progress.find((p) => p.name === 'install')?.state).toBe('running');
    expect(failed.files.map((f) => f.kind)).toEqual(['log']);
    expect(await (await fetch(failed.logUrl)).text()).toContain('the widget is broken');
  });

  it('cancels a build in the chroot through kiln’s clean-up, then deletes it with its files', async () => {
    const job = await server.client.submit({ name: 'sleepy', flavours: ['slow'], types: ['tar'], skipBase: true });
    const stream = server.client.followLog(job.id, () => undefined);
    await waitForJob(server.client, job.id, ['BUILDING'], 120_000);
    for (let i = 0; i < 600 && !(await (await fetch(`${server.url}/api/jobs/${job.id}/log`)).text()).includes('slow: sleeping'); i++) await new Promise((r) => setTimeout(r, 200));
    expect(hostState().mounts.length).toBeGreaterThan(before.mounts.length);
    const asked = await server.client.cancel(job.id);
    expect(asked.notes.at(-1)).toContain('cancel requested by alice');
    const cancelled = await stream;
    expect(cancelled).toMatchObject({ status: 'CANCELLED', error: 'cancelled' });
    expect(hostState()).toEqual(before);
    const folder = join(dir, 'state/images', job.id);
    expect(existsSync(join(folder, 'sleepy.log'))).toBe(true);
    expect(await server.client.remove(job.id)).toEqual({ deleted: job.id });
    expect(existsSync(folder)).toBe(false);
    expect((await fetch(cancelled.logUrl)).status).toBe(404);
    expect((await fetch(`${server.url}/api/jobs/${job.id}`)).status).toBe(404);
  });

  it('refuses changes without a token and bad jobs with the field named', async () => {
    const anonymous = await fetch(`${server.url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', flavours: ['fake-os'] }) });
    expect(anonymous.status).toBe(401);
    const unknown = await fetch(`${server.url}/api/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer t-alice' }, body: JSON.stringify({ name: 'x', flavours: ['debain'] }) });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ field: 'flavours', hint: 'did you mean "debian"?' });
    expect(hostState()).toEqual(before);
  });
});
