// Who may write the cache, decided from an entry's owner and mode alone (pure): only this user or
// root, writable by nobody else, or by the one group named with --cache-group.
import { describe, expect, it } from 'vitest';
import { entryProblem } from '../../../lib/cache/cache-trust.js';

const ME = 1000;
const entry = (uid: number, gid: number, mode: number) => ({ uid, gid, mode: 0o40000 | mode });

describe('cache entries kiln trusts', () => {
  it('its own and root\'s, writable by the owner only', () => {
    expect(entryProblem(entry(ME, 100, 0o755), undefined, ME)).toBeUndefined();
    expect(entryProblem(entry(0, 0, 0o700), undefined, ME)).toBeUndefined();
  });

  it('refuses one of another user, whatever its mode', () => {
    expect(entryProblem(entry(1001, 100, 0o700), undefined, ME)).toBe('belongs to another user (uid 1001)');
    expect(entryProblem(entry(1001, 100, 0o700), 100, ME)).toBe('belongs to another user (uid 1001)');
  });

  it('refuses one everybody can write, even with --cache-group (the sticky bit does not help)', () => {
    expect(entryProblem(entry(ME, 100, 0o777), undefined, ME)).toBe('is writable by everyone (mode 0777)');
    expect(entryProblem(entry(ME, 100, 0o1777), 100, ME)).toBe('is writable by everyone (mode 1777)');
  });

  it('takes a group-writable one only when --cache-group names that very group', () => {
    expect(entryProblem(entry(ME, 100, 0o775), undefined, ME)).toBe('is writable by its group (gid 100, mode 0775) and no --cache-group was given');
    expect(entryProblem(entry(ME, 100, 0o775), 100, ME)).toBeUndefined();
    expect(entryProblem(entry(ME, 100, 0o775), 200, ME)).toBe('is writable by group 100, not the --cache-group');
  });
});
