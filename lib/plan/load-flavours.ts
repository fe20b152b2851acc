// The reading half of planning: walks the search path and reads every flavour found, so that
// planBuild() can stay pure.
import { readFileSync } from 'node:fs';
import type { BuildRequest } from '../config/build-request.js';
import { discoverFlavours } from '../flavours/discover.js';
import { readFlavour, type FlavourMetadata } from '../flavours/metadata.js';
import { searchPath } from '../flavours/search-path.js';
import { classifyEnvFile, ENV_FILE_NAME, type EnvFile } from './hook-environment.js';
import { planBuild, type BuildPlan, type PlanInputs } from './build-plan.js';
import { newestInput, type SourceDate } from '../reproducible/source-date.js';
import { hostInputFiles } from './cache-keys.js';

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

/** How to load: flavours put first (ramdisk builds), kiln's own flavours folder (tests). */
export interface LoadOptions {
  prepend?: string[];
  builtIn?: string;
  /** The newest input's time, when read (datedPlan); else SOURCE_DATE_EPOCH falls back to 0. */
  newestInput?: SourceDate;
}

/** Loads and plans in one go. */
export function loadAndPlan(request: BuildRequest, options: LoadOptions = {}): BuildPlan {
  const inputs = loadPlanInputs(request, options.builtIn);
  return planBuild(request, { ...inputs, ...(options.prepend ? { prepend: options.prepend } : {}), ...(options.newestInput ? { newestInput: options.newestInput } : {}) });
}

/**
 * Loads and plans with the build's SOURCE_DATE_EPOCH (what the commands use): without one from
 * the user, the newest input of the resolved flavours and their host inputs gives it, so the
 * flavours are resolved first. A `newestInput` given is taken as it is (a build VM's host read it).
 */
export async function datedPlan(request: BuildRequest, options: LoadOptions = {}): Promise<BuildPlan> {
  const plan = loadAndPlan(request, options);
  if (request.sourceDateEpoch !== undefined || options.newestInput) return plan;
  return loadAndPlan(request, { ...options, newestInput: await newestInput(plan.flavours, hostInputFiles(plan)) });
}
