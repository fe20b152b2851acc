// Checks at submission time that a job can be built: its command line is parsed by the build
// command's own definition and resolved against the service's flavours (what --dry-run does),
// so an unknown flavour, two operating systems or a bad option is a 400 naming the field
// instead of an ERROR minutes later.
import { CommanderError } from 'commander';
import { KilnError } from '../errors.js';
import { defineBuildCommand, parseBuildArgs } from '../spec/command-line.js';
import { resolveBuild } from '../plan/resolved-build.js';
import { buildCommand } from './build-args.js';
import type { JobSpec } from './job.js';
import { FieldError } from './submission.js';

/** The service settings a check needs. */
export interface CheckSetting {
  imageCache: string;
  flavoursPath: string | undefined;
  useVm: boolean;
  kilnOpts: readonly string[];
}

/** The field a planning error is about. */
function fieldOf(message: string): string {
  if (/\bDIB_[A-Z0-9_]+/.test(message)) return 'environment';
  if (/-p\b|package/i.test(message)) return 'packages';
  return 'flavours';
}

/** Throws FieldError unless `job` plans cleanly; `uploaded` is the folder of its uploaded flavours. */
export async function checkBuildable(job: JobSpec, setting: CheckSetting, uploaded?: string): Promise<void> {
  const flavoursPath = [uploaded, setting.flavoursPath].filter(Boolean).join(':') || undefined;
  const command = buildCommand(job, { outputBase: `/nonexistent/${job.name}`, logFile: '/nonexistent/log', ...setting, flavoursPath });
  try {
    const { request } = parseBuildArgs(defineBuildCommand('disk-image-create', 'disk', '', ''), 'disk', command.args, command.env, '/');
    await resolveBuild(request);
  } catch (error) {
    if (error instanceof CommanderError) throw new FieldError('kiln_opts', `the service's build options are wrong: ${error.message}`, 'tell the service administrator');
    if (error instanceof KilnError) throw new FieldError(job.spec ? 'spec' : fieldOf(error.message), error.message, error.hint);
    throw error;
  }
}

/** Whether this kiln's build command has an option (`--vm` comes with the VM runner). */
export function buildCommandHas(flag: string): boolean {
  return defineBuildCommand('disk-image-create', 'disk', '', '').options.some((o) => o.long === flag);
}
