// Runs one job's build as a child process: kiln's own build command, as the service's build
// user, with its progress on a JSON-lines stream and its log followed as it grows. The child
// gets SIGTERM if the worker dies (setpriv --pdeathsig), so a killed worker or server never
// leaves a build running unattended: kiln's normal clean-up runs.
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import { LineTail } from '../log.js';
import type { BuildEvent } from '../report/events.js';
import { buildCommand } from './build-args.js';
import { FileFollower } from './follow-file.js';
import type { JobSpec } from './job.js';
import { parseProgressLine } from './progress.js';
import { unpackUpload } from './upload.js';

/** The service settings a build needs. */
export interface BuildRunnerSetting {
  imageCache: string;
  flavoursPath: string | undefined;
  useVm: boolean;
  kilnOpts: readonly string[];
  /** Whether jobs may bring flavours of their own (checked here too: a bare AMQP message skips the server). */
  allowUploads: boolean;
  /** Build as this user (the worker runs as root); undefined: as the worker's own user. */
  buildUser: BuildUser | undefined;
}

/** The build user's identity. */
export interface BuildUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** How a build ended. */
export interface BuildOutcome {
  ok: boolean;
  /** kiln's own error message (what failed and the last lines of its output). */
  error: string;
  /** Folder holding every file the build wrote beside its images. */
  outDir: string;
}

/** Looks a user up in the user database (getent passwd). */
export async function lookUpBuildUser(name: string): Promise<BuildUser> {
  const { stdout } = await run(['getent', 'passwd', name], { what: `looking up the build user ${name}`, hint: 'create it, or fix build_user' });
  const fields = stdout.trim().split(':');
  return { name, uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? '/' };
}

/** kiln's error message from its standard error: its last "COMMAND: ..." line and what follows. */
function errorFromStderr(lines: readonly string[], command: string, exit: string): string {
  const start = lines.map((l) => l.startsWith(`${command}: `)).lastIndexOf(true);
  if (start < 0) return [`the build ${exit}`, ...lines.slice(-20)].join('\n').trim();
  return lines
    .slice(start)
    .filter((l) => !l.startsWith('full log: '))
    .join('\n')
    .slice(command.length + 2)
    .trim();
}

function prepareFolders(jobDir: string, user: BuildUser | undefined): { outDir: string; flavourDir: string } {
  const outDir = join(jobDir, 'out');
  const flavourDir = join(jobDir, 'flavours');
  mkdirSync(outDir, { recursive: true });
  if (user) for (const dir of [jobDir, outDir]) chownSync(dir, user.uid, user.gid);
  return { outDir, flavourDir };
}

/** Builds `job` in `jobDir`; never throws for a failed build (the outcome says why). */
export async function runJobBuild(options: {
  job: JobSpec;
  jobDir: string;
  setting: BuildRunnerSetting;
  signal: AbortSignal;
  onEvent: (event: BuildEvent) => void;
  onLog: (text: string) => void;
}): Promise<BuildOutcome> {
  const { job, jobDir, setting } = options;
  const { outDir, flavourDir } = prepareFolders(jobDir, setting.buildUser);
  if (job.upload && !setting.allowUploads) {
    return { ok: false, outDir, error: 'the job brings uploaded flavours, and this worker does not accept them (allow_uploads = no): their hooks would run as root on the build host' };
  }
  const uploaded = job.upload ? (unpackUpload(job.upload, flavourDir), flavourDir) : undefined;
  const logFile = join(jobDir, `${job.name}.log`);
  const specArgument = job.spec ? join(jobDir, 'spec.json') : undefined;
  if (specArgument) writeFileSync(specArgument, JSON.stringify(job.spec, null, 2), { mode: 0o644 });
  const command = buildCommand(job, {
    specArgument,
    outputBase: join(outDir, job.name), logFile, imageCache: setting.imageCache,
    flavoursPath: [uploaded, setting.flavoursPath].filter(Boolean).join(':') || undefined,
    useVm: setting.useVm, kilnOpts: setting.kilnOpts,
  });
  const user = setting.buildUser;
  const asUser = user ? ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups'] : [];
  const stderr = new LineTail(200);
  const follower = new FileFollower(logFile, options.onLog);
  follower.start();
  try {
    const result = await run(['setpriv', '--pdeathsig', 'SIGTERM', ...asUser, '--', process.execPath, command.script, ...command.args], {
      env: { ...command.env, ...(user ? { HOME: user.home, USER: user.name } : {}) },
      cwd: outDir,
      label: 'build',
      signal: options.signal,
      // kiln needs time to unmount and detach after SIGTERM; only a hung clean-up is killed.
      killAfterMs: 180_000,
      allowFailure: true,
      captureStdout: false,
      onLine: (line, stream) => {
        if (stream === 'stderr') return stderr.push(line);
        const event = parseProgressLine(line);
        if (event) options.onEvent(event);
      },
    }).catch((error: unknown) => {
      if (options.signal.aborted) return { exitCode: undefined, signal: 'SIGTERM', stdout: '', tail: [] };
      throw error;
    });
    const ok = result.exitCode === 0 && !result.signal;
    const exit = result.signal ? `was killed with ${result.signal}` : `exited with code ${result.exitCode}`;
    return { ok, error: ok ? '' : errorFromStderr(stderr.toArray(), 'disk-image-create', exit), outDir };
  } finally {
    follower.stop();
  }
}
