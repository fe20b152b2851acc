// kiln's version, from package.json (what --version prints and the service reports).
import { readFileSync } from 'node:fs';

/** kiln's version, from package.json. */
export function kilnVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
