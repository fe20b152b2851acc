// What a restarted kiln-server does with the jobs its dead predecessor was building: the build
// still running from a gone worker process is stopped (and its folder removed) before anything
// is handed out again, an interrupted job is requeued once, and ERROR the second time. The real
// SIGKILL of a server in the middle of a chroot build is test/e2e/service-restart.test.ts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobEvents } from '../../../lib/service/job-events.js';
import { JobLogs } from '../../../lib/service/job-log.js';
import { newJob } from '../../../lib/service/recorder.js';
import { jobDirFor, recoverInterrupted } from '../../../lib/service/recovery.js';
import { SqliteJobStore } from '../../../lib/service/store/sqlite.js';
import { normaliseSubmission } from '../../../lib/service/submission.js';
import { tempDir } from '../../helpers/tree.js';

let tmp: ReturnType<typeof tempDir>;
/** The stand-in for a dead server's build; killed even when the test fails half-way. */
let build: ChildProcess | undefined;
beforeEach(() => (tmp = tempDir()));
afterEach(() => {
  build?.kill('SIGKILL');
  tmp.cleanup();
});

/** A pid no process has any more (a worker process that was SIGKILLed). */
function deadPid(): number {
  const pid = spawnSync('true').pid;
  if (!pid) throw new Error('could not start true');
  return pid;
}

describe('recoverInterrupted', () => {
  it('stops the dead worker process’s build, then requeues its job once, and fails it the second time', async () => {
    const store = new SqliteJobStore(join(tmp.path, 'jobs.sqlite'));
    const logs = new JobLogs(join(tmp.path, 'images'));
    const events = new JobEvents();
    const changed: string[] = [];
    events.on('job', (job) => changed.push(`${job.name} ${job.status}`));
    const workDir = join(tmp.path, 'work');
    const spec = normaliseSubmission({ name: 'slow', flavours: ['fake-os'], types: ['tar'] }, { email: '' });
    await store.insert(newJob(spec, 'alice', { baseDir: join(tmp.path, 'images'), baseUrl: 'http://x/files' }));
    const waiting = normaliseSubmission({ name: 'waiting', flavours: ['fake-os'], types: ['tar'] }, { email: '' });
    await store.insert(newJob(waiting, 'alice', { baseDir: join(tmp.path, 'images'), baseUrl: 'http://x/files' }));
    expect(await store.claimNext('server-1/worker-1')).toMatchObject({ id: spec.id, attempts: 1 });

    // The build of the killed server still runs (it got SIGTERM from the kernel and is cleaning up).
    const jobDir = jobDirFor(workDir, spec.id, deadPid());
    mkdirSync(jobDir, { recursive: true });
    build = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', `${jobDir}/tree`], { stdio: 'ignore' });
    const buildEnded = new Promise<NodeJS.Signals | null>((resolve) => build!.on('exit', (_code, signal) => resolve(signal)));
    await new Promise((resolve) => build!.on('spawn', resolve));
    const liveWorkerDir = jobDirFor(workDir, waiting.id);
    mkdirSync(liveWorkerDir);
    const said: string[] = [];
    const first = await recoverInterrupted(store, logs, events, workDir, (line) => said.push(line));
    expect(await buildEnded).toBe('SIGTERM');
    expect(existsSync(jobDir)).toBe(false);
    expect(existsSync(liveWorkerDir)).toBe(true);
    expect(said).toEqual([expect.stringMatching(/^removed .*, left by worker process \d+ that is gone \(its build: 1 processes stopped\)$/)]);
    expect(first).toEqual([expect.stringMatching(new RegExp(`^job ${spec.id} \\(slow\\): .*attempt 1 on server-1/worker-1 interrupted by a server restart; requeued$`))]);
    expect(await store.get(spec.id)).toMatchObject({ status: 'QUEUED', worker: '', error: 'interrupted by a server restart; requeued' });
    expect(await store.get(waiting.id)).toMatchObject({ status: 'QUEUED', attempts: 0 });

    // Handed out again (still first in the queue), and interrupted again: not requeued a third time.
    expect(await store.claimNext('server-2/worker-1')).toMatchObject({ id: spec.id, attempts: 2 });
    await recoverInterrupted(store, logs, events, workDir, () => undefined);
    expect(await store.get(spec.id)).toMatchObject({ status: 'ERROR', error: 'interrupted by a server restart (the second time; not requeued again)' });
    expect((await store.get(spec.id))?.notes).toEqual([
      expect.stringMatching(/attempt 1 on server-1\/worker-1 interrupted by a server restart; requeued$/),
      expect.stringMatching(/attempt 2 on server-2\/worker-1 interrupted by a server restart; not requeued again$/),
    ]);
    expect(changed).toEqual(['slow QUEUED', 'slow ERROR']);
    const log = readFileSync(logs.path(spec.id, 'slow'), 'utf8');
    expect(log.match(/interrupted by a server restart/g)).toHaveLength(2);
    await store.close();
  });
});
