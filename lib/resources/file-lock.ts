// A lock file created exclusively, holding the identity of its holder (process-identity.ts). A
// lock whose holder is provably gone is taken over; one held by a live process, or by a process
// kiln cannot see (another pid namespace, another machine), is waited for until a deadline and
// then reported by holder and path. Used for the cache and for output names.
import { linkSync, lstatSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { KilnError } from '../errors.js';
import { describeProcess, liveness, parseIdentity, selfIdentity, type ProcessIdentity } from './process-identity.js';

/** A lock that could not be taken in time (or at all, when not waiting). */
export class LockBusyError extends KilnError {
  constructor(readonly path: string, readonly what: string, holder: ProcessIdentity | undefined, waitedMs: number) {
    const by = holder ? describeProcess(holder) : 'another process';
    super(`${what} is in use by ${by}${waitedMs > 0 ? `: gave up after waiting ${Math.round(waitedMs / 1000)} s` : ''} (lock ${path})`, {
      hint: holder && liveness(holder) === 'alive'
        ? `wait for process ${holder.pid} to finish`
        : `if no kiln process uses it any more, remove ${path}`,
    });
  }
}

/** A lock file kiln holds; release() removes it (only if it is still ours). */
export interface HeldLock {
  path: string;
  release(): Promise<void>;
}

/** A lock file written a moment ago may still be empty: give its writer this long. */
const FRESH_MS = 10_000;

/** Creates `path` exclusively with our identity; on EEXIST, removes it if its holder is provably gone. */
async function tryLock(path: string): Promise<{ held: true } | { held: false; holder: ProcessIdentity | undefined; tookOver: boolean }> {
  const me = selfIdentity();
  try {
    const handle = await open(path, 'wx', 0o644);
    try {
      await handle.writeFile(JSON.stringify(me));
    } finally {
      await handle.close();
    }
    return { held: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const { holder, stale, content } = inspect(path);
  return { held: false, holder, tookOver: stale && takeOver(path, content) };
}

function inspect(path: string): { holder: ProcessIdentity | undefined; stale: boolean; content: string } {
  try {
    const stat = lstatSync(path);
    const content = readFileSync(path, 'utf8');
    const holder = parseIdentity(content);
    if (!holder) return { holder, stale: Date.now() - stat.mtimeMs > FRESH_MS, content };
    return { holder, stale: liveness(holder) === 'dead', content };
  } catch {
    // Released between our attempt and now.
    return { holder: undefined, stale: false, content: '' };
  }
}

/**
 * Removes a stale lock (true when the lock may be tried again at once): renamed aside first, then checked to be the very lock judged stale. If
 * another process took it over in between and already holds a fresh one, that one is put back.
 */
function takeOver(path: string, staleContent: string): boolean {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    // ENOENT: someone else took it over first (try again at once); anything else: wait, then report.
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
  try {
    if (readFileSync(aside, 'utf8') !== staleContent) linkSync(aside, path);
  } catch {
    // A new lock is already in place: the one we moved was stale after all, or is lost to a race
    // that needs two takeovers within microseconds.
  } finally {
    unlinkSync(aside);
  }
  return true;
}

/** Takes the lock at `path`, waiting up to `timeoutMs` (0: do not wait); `what` names it in errors. */
export async function acquireLock(path: string, what: string, timeoutMs: number): Promise<HeldLock> {
  const started = Date.now();
  for (;;) {
    const attempt = await tryLock(path);
    if (attempt.held) break;
    if (attempt.tookOver) continue;
    const waited = Date.now() - started;
    if (waited >= timeoutMs) throw new LockBusyError(path, what, attempt.holder, timeoutMs > 0 ? waited : 0);
    await sleep(Math.min(100 + waited / 20, 1000));
  }
  const me = JSON.stringify(selfIdentity());
  return {
    path,
    release: async () => {
      // Only our own lock: a lock taken over after we were (wrongly) judged dead is not ours.
      let content = '';
      try {
        content = readFileSync(path, 'utf8');
      } catch {
        return;
      }
      if (content === me) await rm(path, { force: true });
    },
  };
}
