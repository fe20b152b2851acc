// The output cache under concurrent use: whether a kept output set is reused is decided again
// under the cache lock, so a prune or trim by another build between the build's look and the copy
// leaves the build to make the outputs itself instead of failing half-way through the copy.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findOutputs, restoreOutputs, storeOutputs } from '../../../lib/cache/output-cache.js';
import { nullLog } from '../../../lib/log.js';
import { acquireLock } from '../../../lib/resources/file-lock.js';
import { removeTree } from '../../../lib/resources/remove-tree.js';
import { tempDir } from '../../helpers/tree.js';

const KEY = 'f'.repeat(32);
const WANTED = { formats: ['tar'], optional: [] };

describe('output cache', () => {
  let tmp: ReturnType<typeof tempDir>;
  let cache: string;
  const target = (): { format: string; path: string }[] => [{ format: 'tar', path: join(tmp.path, 'out/img.tar') }];
  beforeEach(async () => {
    tmp = tempDir('kiln-output-cache-');
    cache = join(tmp.path, 'cache');
    writeFileSync(join(tmp.path, 'built.tar'), 'the kept image\n');
    await storeOutputs(cache, KEY, [{ format: 'tar', path: join(tmp.path, 'built.tar') }], nullLog);
  });
  afterEach(() => tmp.cleanup());

  it('copies a kept set to the build\'s outputs', async () => {
    expect(await restoreOutputs(cache, KEY, WANTED, target(), nullLog)).toBe(true);
    expect(readFileSync(join(tmp.path, 'out/img.tar'), 'utf8')).toBe('the kept image\n');
  });

  it('a set pruned after the build found it (while the build waited for the lock) is not copied: the build makes its outputs', async () => {
    expect(findOutputs(cache, KEY, WANTED.formats)).toBeDefined();
    // Another build holds the cache lock and prunes the set, as pruneCache() does, under the lock.
    const lock = await acquireLock(join(cache, '.lock'), 'the cache', 0);
    const restoring = restoreOutputs(cache, KEY, WANTED, target(), nullLog);
    await sleep(300);
    await removeTree(join(cache, 'outputs', KEY));
    await lock.release();
    expect(await restoring).toBe(false);
    expect(existsSync(join(tmp.path, 'out/img.tar'))).toBe(false);
    expect(existsSync(join(cache, '.lock'))).toBe(false);
  });
});
