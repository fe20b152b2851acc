// kiln's version, from package.json (what --version prints, the service reports, the manifest and the SBOMs record).
import { readFileSync } from 'node:fs';

/** kiln's version, from package.json. */
export function kilnVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
