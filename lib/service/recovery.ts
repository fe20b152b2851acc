// What a restarted kiln-server does about the jobs its own workers were building when it
// stopped (a crash, SIGKILL, a reboot): it makes sure no build of theirs still runs (the child
// got SIGTERM when the server died and cleans up; this waits for it), then requeues each job
// once, or marks it ERROR when it was already interrupted before. Queued jobs simply stay queued.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findProcesses } from '../resources/chroot.js';
import { processAlive } from '../resources/leftovers.js';
import type { JobEvents } from './job-events.js';
import type { JobLogs } from './job-log.js';
import { now } from './protocol.js';
import type { JobStore } from './store/store.js';

/** The message of a job a server restart interrupted. */
const INTERRUPTED = 'interrupted by a server restart';

/** The build folder of a job on this worker process: <work_dir>/<job id>.<pid>. */
export function jobDirFor(workDir: string, id: string, pid = process.pid): string {
  return join(workDir, `${id}.${pid}`);
}

/**
 * Removes the build folders of worker processes that are gone (a SIGKILLed kiln-server or
 * kiln-worker), after their builds stopped. Folders of live workers sharing work_dir are left.
 */
export async function clearStaleJobDirs(workDir: string, log: (line: string) => void): Promise<void> {
  let names: string[] = [];
  try {
    names = readdirSync(workDir);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^[0-9a-f-]{36}\.(\d+)$/.exec(name);
    if (!match || processAlive(Number(match[1]))) continue;
    const dir = join(workDir, name);
    const stopped = await stopStrayBuild(dir);
    rmSync(dir, { recursive: true, force: true });
    log(`removed ${dir}, left by worker process ${match[1]} that is gone${stopped ? ` (its build: ${stopped} processes stopped)` : ''}`);
  }
}

/** Processes whose command line names `jobDir` (the build of that job and its helpers). */
function buildProcesses(jobDir: string): number[] {
  return findProcesses((pid) => Number(pid) !== process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${jobDir}/`));
}

function signal(pids: number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // Gone already.
    }
  }
}

/** Stops what is left of a build: SIGTERM (kiln cleans up), then SIGKILL after `graceMs`. */
async function stopStrayBuild(jobDir: string, graceMs = 180_000): Promise<number> {
  const found = buildProcesses(jobDir);
  signal(found, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (buildProcesses(jobDir).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  signal(buildProcesses(jobDir), 'SIGKILL');
  return found.length;
}

/** Requeues (once) or fails every job that was BUILDING on this server's own workers. */
export async function recoverInterrupted(store: JobStore, logs: JobLogs, events: JobEvents, workDir: string, log: (line: string) => void): Promise<string[]> {
  // No build of the dead server may still run when its jobs are handed out again.
  await clearStaleJobDirs(workDir, log);
  const { jobs } = await store.list({ status: ['BUILDING'], limit: 100_000 });
  const done: string[] = [];
  for (const job of jobs) {
    const requeue = job.attempts < 2;
    const note = `${now()}: attempt ${job.attempts} on ${job.worker} ${INTERRUPTED}; ${requeue ? 'requeued' : 'not requeued again'}`;
    const updated = await store.updateIf(job.id, ['BUILDING'], requeue
      ? { status: 'QUEUED', error: `${INTERRUPTED}; requeued`, phase: '', worker: '', notes: [...job.notes, note] }
      : { status: 'ERROR', error: `${INTERRUPTED} (the second time; not requeued again)`, phase: '', finishedAt: now(), notes: [...job.notes, note] });
    const text = `kiln: ${note}\n`;
    events.emit('log', job.id, text, logs.write(job.id, job.name, text));
    if (updated) events.emit('job', updated);
    done.push(`job ${job.id} (${job.name}): ${note}`);
  }
  return done;
}
