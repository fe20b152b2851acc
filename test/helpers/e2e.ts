// Shared settings of the end-to-end tests.
import { mkdirSync } from 'node:fs';

/** One cache folder for all e2e builds, so later tests reuse the Debian base and packages. */
export function e2eCache(): string {
  const dir = process.env.KILN_E2E_CACHE ?? '/var/tmp/kiln-e2e-cache';
  mkdirSync(dir, { recursive: true });
  return dir;
}
