// A lock on the cache folder, so that builds sharing one --image-cache never see a half-stored
// layer or a layer being pruned. The lock is a file created exclusively; a lock left by a
// process that no longer exists is taken over.
import { open, readFile, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from '../resources/leftovers.js';

async function tryLock(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'wx');
    await handle.writeFile(String(process.pid));
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const owner = Number(await readFile(path, 'utf8').catch(() => ''));
    if (owner && !processAlive(owner)) await rm(path, { force: true });
    return false;
  }
}

/** Runs `body` holding the cache lock (waits up to `timeoutMs` for it). */
export async function withCacheLock<T>(cacheDir: string, body: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  await mkdir(cacheDir, { recursive: true });
  const path = join(cacheDir, '.lock');
  const deadline = Date.now() + timeoutMs;
  while (!(await tryLock(path))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for the cache lock ${path}`);
    await sleep(100);
  }
  try {
    return await body();
  } finally {
    await rm(path, { force: true });
  }
}
