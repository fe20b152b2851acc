// The reading half of planning: walks the search path and reads every flavour found, so that
// planBuild() can stay pure.
import { readFileSync } from 'node:fs';
import type { BuildRequest } from '../config/request.js';
import { discoverFlavours } from '../flavours/discover.js';
import { readFlavour, type FlavourMetadata } from '../flavours/metadata.js';
import { searchPath } from '../flavours/search-path.js';
import { classifyEnvFile, ENV_FILE_NAME, exportedValues, type EnvFile } from './environment.js';
import { planBuild, type BuildPlan, type PlanInputs } from './build-plan.js';
import { newestInput } from '../reproducible/source-date.js';
import { hostInputFiles } from '../cache/stage-inputs.js';

/** Reads everything planning needs for `request`. */
export function loadPlanInputs(request: BuildRequest, builtIn?: string): PlanInputs {
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
    if (!entry.isFile) continue;
    if (!ENV_FILE_NAME.test(entry.name)) {
      warnings.push(`skipping ${entry.path} (flavour ${metadata.name}, environment.d): its name has characters other than 0-9 A-Z a-z _ . -`);
      continue;
    }
    files.push(classifyEnvFile(metadata.name, entry.name, entry.path, readFileSync(entry.path, 'utf8')));
  }
  return files;
}

/**
 * Loads and plans in one go (what the commands call). Without a SOURCE_DATE_EPOCH from the user,
 * the resolved flavours' newest input gives it, so the flavours are resolved first.
 */
export async function loadAndPlan(request: BuildRequest, options: { prepend?: string[]; builtIn?: string } = {}): Promise<BuildPlan> {
  const inputs = { ...loadPlanInputs(request, options.builtIn), ...(options.prepend ? { prepend: options.prepend } : {}) };
  const plan = planBuild(request, inputs);
  if (request.sourceDateEpoch) return plan;
  const values = { ...request.env, ...exportedValues(plan.environment) };
  const hostFiles = hostInputFiles(plan.cacheInputs, request.env, values).flatMap((i) => i.files);
  return planBuild(request, { ...inputs, newestInput: await newestInput(plan.flavours, hostFiles) });
}
