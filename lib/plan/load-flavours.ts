// The reading half of planning: walks the search path and reads every flavour found, so that
// planBuild() can stay pure.
import { readFileSync } from 'node:fs';
import type { BuildRequest } from '../config/build-request.js';
import { discoverFlavours } from '../flavours/discover.js';
import { readFlavour, type FlavourMetadata } from '../flavours/metadata.js';
import { searchPath } from '../flavours/search-path.js';
import { classifyEnvFile, ENV_FILE_NAME, type EnvFile } from './hook-environment.js';
import { planBuild, type BuildPlan, type PlanInputs } from './build-plan.js';

/** Reads everything planning needs for `request`. */
function loadPlanInputs(request: BuildRequest, builtIn?: string): PlanInputs {
  const entries = searchPath({ cliPath: request.flavoursPath, env: request.env, cwd: request.cwd, ...(builtIn ? { builtIn } : {}) });
  const discovery = discoverFlavours(entries);
  const catalogue = new Map<string, FlavourMetadata & { origin: string }>();
  const envFiles = new Map<string, EnvFile[]>();
  const warnings = [...discovery.warnings];
  for (const found of discovery.flavours.values()) {
    const metadata = readFlavour(found);
    catalogue.set(found.name, { ...metadata, origin: found.entry.origin });
    envFiles.set(found.name, readEnvFiles(metadata, warnings));
  }
  return { catalogue, envFiles, searchPath: entries, warnings };
}

function readEnvFiles(metadata: FlavourMetadata, warnings: string[]): EnvFile[] {
  const files: EnvFile[] = [];
  for (const entry of metadata.environmentFiles) {
    if (!entry.isFile) {
      // Not read, and said so: the variables it was meant to set stay unset.
      const what = entry.isFolder ? 'it is a folder (environment.d holds files)' : entry.isDanglingLink ? 'it is a symbolic link to something that does not exist' : 'not a regular file';
      warnings.push(`skipping ${entry.path} (flavour ${metadata.name}, environment.d): ${what}`);
      continue;
    }
    if (!ENV_FILE_NAME.test(entry.name)) {
      warnings.push(`skipping ${entry.path} (flavour ${metadata.name}, environment.d): its name has characters other than 0-9 A-Z a-z _ . -`);
      continue;
    }
    files.push(classifyEnvFile(metadata.name, entry.name, entry.path, readFileSync(entry.path, 'utf8')));
  }
  return files;
}

/** Loads and plans in one go (what the commands call). */
export function loadAndPlan(request: BuildRequest, options: { prepend?: string[]; builtIn?: string } = {}): BuildPlan {
  const inputs = loadPlanInputs(request, options.builtIn);
  return planBuild(request, { ...inputs, ...(options.prepend ? { prepend: options.prepend } : {}) });
}
