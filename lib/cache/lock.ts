// A lock on the cache folder, so that builds sharing one --image-cache never see a half-stored
// layer, a layer being pruned, or a layer chosen by one build and pruned by another before it
// is restored. The lock is a file created exclusively that records its holder's identity (pid,
// boot id, start time, pid namespace: resources/file-lock.ts); a lock whose holder is provably
// gone is taken over, and a wait that times out says who holds it.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireLock } from '../resources/file-lock.js';

/** How long a build waits for another build's cache work (storing or restoring a layer). */
const CACHE_LOCK_TIMEOUT_MS = 600_000;

/** Runs `body` holding the cache lock (waits up to `timeoutMs` for it, then fails naming the holder). */
export async function withCacheLock<T>(cacheDir: string, body: () => Promise<T>, timeoutMs = CACHE_LOCK_TIMEOUT_MS): Promise<T> {
  await mkdir(cacheDir, { recursive: true });
  const lock = await acquireLock(join(cacheDir, '.lock'), `the cache ${cacheDir}`, timeoutMs);
  try {
    return await body();
  } finally {
    await lock.release();
  }
}
