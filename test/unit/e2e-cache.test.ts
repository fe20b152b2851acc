// The e2e tests' lasting cache must not sit where another user can create or replace it.
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_E2E_CACHE } from '../helpers/e2e.js';

/** The folders above `path`, nearest first, up to /. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    out.push(dir);
    if (dir === '/') return out;
  }
}

describe('the e2e cache folder', () => {
  it('lies under folders that only their owner may write (not /tmp or /var/tmp)', () => {
    // Sticky world-writable folders (mode 1777) let anyone create the name first.
    const shared = ['/tmp', '/var/tmp', '/dev/shm'];
    expect(ancestors(DEFAULT_E2E_CACHE).filter((dir) => shared.includes(dir))).toEqual([]);
    expect(DEFAULT_E2E_CACHE.startsWith('/var/cache/')).toBe(true);
  });
});
