// A job that carries kiln's JSON build spec (lib/spec): the submission's own fields (IMG's -t,
// -a, -r and friends) override the spec's, as a command line overrides `--spec`; the spec module
// checks the result; and the service's rules apply on top: the service decides where files go,
// which cache and flavours are used, and a spec may name no host path.
import { formatPath, SpecError } from '../spec/problems.js';
import { loadSpecText } from '../spec/load.js';
import { parseArch } from '../config/values.js';
import { checkEnvironment, FieldError } from './submission.js';

/** Spec keys the service sets itself (host paths). */
const SERVICE_KEYS = ['imageCache', 'logfile', 'flavoursPath', 'metadataFile', 'filesystemImages'];

/** The submission fields that override a spec's. */
export interface SpecOverrides {
  flavours?: string[];
  types?: string[];
  arch?: string;
  release?: string;
  packages?: string[];
  skipBase?: boolean;
  environment?: Record<string, string>;
}

/** The spec with the submission's fields taking over, as a command line would. */
function mergeOverrides(spec: Record<string, unknown>, o: SpecOverrides): Record<string, unknown> {
  const environment = { ...((spec.environment as Record<string, unknown> | undefined) ?? {}), ...(o.environment ?? {}), ...(o.release ? { DIB_RELEASE: o.release } : {}) };
  return {
    ...spec,
    ...(o.flavours?.length ? { flavours: o.flavours } : {}),
    ...(o.types ? { types: o.types } : {}),
    ...(o.arch ? { arch: o.arch } : {}),
    ...(o.packages ? { packages: o.packages } : {}),
    ...(o.skipBase !== undefined ? { skipBase: o.skipBase } : {}),
    ...(Object.keys(environment).length ? { environment } : {}),
  };
}

function checkServiceRules(spec: Record<string, unknown>): void {
  for (const key of SERVICE_KEYS) {
    if (spec[key] !== undefined) throw new FieldError(`spec.${key}`, 'is decided by the build service, not by a job', 'leave it out of the spec');
  }
  if (typeof spec.output === 'string' && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(spec.output)) {
    throw new FieldError('spec.output', 'names a path; the build service puts files where it publishes them', 'leave it out (the job name names the files)');
  }
  if (spec.kind === 'ramdisk') throw new FieldError('spec.kind', 'the build service builds disk images and trees, not ramdisks', 'use ramdisk-image-create on a build machine');
  if (typeof spec.blockDevice === 'string' && /^\s*file:/i.test(spec.blockDevice)) {
    throw new FieldError('spec.blockDevice', 'points at a file on the build host', 'give the block-device configuration itself');
  }
  const environment = (spec.environment as Record<string, unknown> | undefined) ?? {};
  for (const name of Object.keys(environment)) {
    if (!/^DIB_[A-Z0-9_]+$/.test(name)) throw new FieldError(`spec.environment.${name}`, 'is not allowed in a build-service job (only DIB_* variables are)');
  }
  checkEnvironment(environment, 'spec.environment');
}

/** Checks a spec job and returns its merged spec and what the job record shows of it. */
export function specJob(spec: Record<string, unknown>, overrides: SpecOverrides): {
  spec: Record<string, unknown>;
  flavours: string[];
  types: string[];
  arch: string;
  release: string;
  packages: string[];
  skipBase: boolean;
} {
  const merged = mergeOverrides(spec, overrides);
  checkServiceRules(merged);
  let loaded;
  try {
    loaded = loadSpecText(JSON.stringify(merged), 'spec');
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    const first = error.problems[0]!;
    const more = error.problems.length > 1 ? ` (and ${error.problems.length - 1} more: ${error.problems.slice(1).map((p) => formatPath(p.path)).join(', ')})` : '';
    throw new FieldError(first.path.length ? `spec.${formatPath(first.path)}` : 'spec', `${first.message}${more}`, error.hint);
  }
  const options = loaded.build.options;
  const variables = { ...loaded.build.environment, ...loaded.build.variables };
  let arch: string;
  try {
    arch = parseArch(String(options.arch ?? 'amd64'), 'arch');
  } catch (error) {
    throw new FieldError('spec.arch', (error as Error).message);
  }
  return {
    spec: merged,
    flavours: loaded.build.flavours,
    types: (options.types as string[] | undefined) ?? ['qcow2'],
    arch,
    release: variables.DIB_RELEASE ?? '',
    packages: (options.packages as string[] | undefined) ?? [],
    skipBase: options.skipBase === true,
  };
}
