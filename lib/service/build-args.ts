// The command line a job becomes: the same build command a person would type, so that a job
// behaves exactly like `disk-image-create` on the worker's machine, and the server checks a
// submission by parsing and planning this very command line. (pure)
import { fileURLToPath } from 'node:url';
import type { JobSpec } from './job.js';

/** Where a job's build reads and writes, and the service-wide options. */
export interface BuildSetting {
  /** Output base name: outputs are OUT.EXT. */
  outputBase: string;
  /** The build log. */
  logFile: string;
  imageCache: string;
  /** Colon-separated flavour folders: the job's uploaded ones first, then the service's. */
  flavoursPath: string | undefined;
  useVm: boolean;
  /** The administrator's extra options (kiln_opts). */
  kilnOpts: readonly string[];
  /** Where the job's build spec is (a file, or the JSON text itself), for jobs that carry one. */
  specArgument?: string;
}

/** A build command line. */
export interface BuildCommand {
  /** The kiln command (a script run with node). */
  script: string;
  args: string[];
  /** Variables the build gets beyond the worker's base environment. */
  env: Record<string, string>;
}

/** The kiln command script a job runs. */
function buildScript(name: 'disk-image-create'): string {
  return fileURLToPath(new URL(`../../bin/${name}`, import.meta.url));
}

/** The build command of a job: the spec with the service's options, or the options alone. */
export function buildCommand(job: JobSpec, setting: BuildSetting): BuildCommand {
  const service = [
    '-o', setting.outputBase,
    '--logfile', setting.logFile,
    '--image-cache', setting.imageCache,
    ...(setting.flavoursPath ? ['--flavours-path', setting.flavoursPath] : []),
    '--progress-fd', '1',
    ...(setting.useVm ? ['--vm'] : []),
    ...setting.kilnOpts,
  ];
  const script = buildScript('disk-image-create');
  if (job.spec) {
    // The spec holds what to build (the submission's own fields are merged into it).
    return { script, args: ['--spec', setting.specArgument ?? JSON.stringify(job.spec), ...service], env: {} };
  }
  const args = [
    ...service,
    '-t', job.types.join(','),
    '-a', job.arch,
    ...(job.skipBase ? ['-n'] : []),
    ...job.packages.flatMap((p) => ['-p', p]),
    '--',
    ...job.flavours,
  ];
  const env = { ...job.environment, ...(job.release ? { DIB_RELEASE: job.release } : {}) };
  return { script, args, env };
}
