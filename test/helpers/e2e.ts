// Shared settings of the end-to-end tests.
import { mkdirSync } from 'node:fs';

/** Where the e2e builds keep their cache unless KILN_E2E_CACHE says otherwise: a lasting cache
 * (it is what keeps CI fast), so under /var/cache, whose parents only root can write, and not a
 * predictable name in world-writable /var/tmp that another user could create first. */
export const DEFAULT_E2E_CACHE = '/var/cache/kiln/e2e-tests';

/** One cache folder for all e2e builds, so later tests reuse the Debian base and packages. */
export function e2eCache(): string {
  const dir = process.env.KILN_E2E_CACHE ?? DEFAULT_E2E_CACHE;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
