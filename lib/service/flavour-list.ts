// The flavours the service offers (for the submit form and GET /api/flavours): every flavour on
// its search path (flavours_path, then kiln's own), with the first line of its README.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discoverFlavours } from '../flavours/discover.js';
import { readFlavour } from '../flavours/metadata.js';
import { searchPath } from '../flavours/search-path.js';
import type { FlavourInfo } from './context.js';

function summary(dir: string): string {
  try {
    const lines = readFileSync(join(dir, 'README.md'), 'utf8').split('\n').map((l) => l.trim());
    return lines.find((l) => l && !l.startsWith('#') && !l.startsWith('=')) ?? '';
  } catch {
    return '';
  }
}

/** Lists the flavours found along `flavoursPath` and kiln's built-in folder. */
export function listFlavours(flavoursPath: string | undefined): FlavourInfo[] {
  const { flavours } = discoverFlavours(searchPath({ cliPath: flavoursPath, env: {}, cwd: '/' }));
  return [...flavours.values()]
    .map((found) => ({ name: found.name, summary: summary(found.path), provides: readFlavour(found).provides }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
