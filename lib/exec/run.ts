// The one place where kiln starts external commands. Arguments are always argv arrays, the
// environment is explicit, privilege is added here only (sudo -n for a non-root user), every
// output line goes to the build log with a label, and the last lines are kept for the error.
import { definedOnly } from '../environment.js';
import { execa } from 'execa';
import { CommandFailedError, InternalError, KilnError } from '../errors.js';
import { isPrivilegedProgram, systemPath } from './privileged.js';
import { LineSplitter, LineTail, nullLog, type LogSink } from '../log.js';

/** How to run one command. */
export interface RunOptions {
  /** Run as root: through `sudo -n` unless kiln already is root. */
  privileged?: boolean;
  /** Environment variables added to the minimal base environment. */
  env?: Record<string, string | undefined>;
  /** Use exactly `env` (plus nothing from the host). */
  replaceEnv?: boolean;
  cwd?: string;
  /** Data written to the command's standard input. */
  input?: string | Buffer;
  /** Label of the output lines in the log; defaults to the program name. */
  label?: string;
  log?: LogSink;
  /** Called with every output line (stdout and stderr), e.g. to show progress. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Aborting stops the command's process group (SIGTERM, then SIGKILL after `killAfterMs`). */
  signal?: AbortSignal;
  /** Aborting kills the command's process group with SIGKILL at once (a second Ctrl-C). */
  forceSignal?: AbortSignal;
  killAfterMs?: number;
  /** Keep stdout in the result (default true); stderr is always logged, never kept. */
  captureStdout?: boolean;
  /** Do not throw when the command exits non-zero. */
  allowFailure?: boolean;
  /** What the command does, for the error message ("sfdisk writing the partition table"). */
  what?: string;
  hint?: string;
  /** Number of output lines kept for the error message. */
  tailLines?: number;
  /** Redirect stdout to this file instead of capturing it. */
  stdoutFile?: string;
}

/** What a finished command left behind. */
export interface RunResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  tail: string[];
}

/** PATH kiln uses for the tools it runs, whatever the caller's PATH is. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** True when kiln runs as root and needs no sudo. */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The argv actually executed: sudo -n is prepended for privileged commands of a non-root user. */
function commandLine(argv: readonly string[], privileged: boolean, root = isRoot()): string[] {
  if (argv.length === 0) throw new KilnError('internal error: empty command');
  if (!privileged || root) return [...argv];
  const [program, ...args] = argv as [string, ...string[]];
  if (!isPrivilegedProgram(program.split('/').pop()!)) {
    throw new InternalError(`${program} is run through sudo but is not in lib/exec/privileged.ts (and so not in sudoers.d/kiln)`);
  }
  // sudo compares absolute paths with sudoers.d/kiln.
  return ['sudo', '-n', systemPath(program), ...args];
}

/** Quotes an argv for display, so it can be pasted into a shell. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: SYSTEM_PATH, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
  for (const key of ['TMPDIR', 'HOME', 'USER', 'SUDO_USER', 'http_proxy', 'https_proxy', 'no_proxy']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** Runs a command, logging its output, and throws CommandFailedError if it fails. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const full = commandLine(argv, options.privileged ?? false);
  const [file, ...args] = full as [string, ...string[]];
  const label = options.label ?? argv[0]!.split('/').pop()!;
  const log = options.log ?? nullLog;
  const tail = new LineTail(options.tailLines ?? 30);
  const env = options.replaceEnv ? definedOnly(options.env ?? {}) : { ...baseEnv(), ...definedOnly(options.env ?? {}) };
  log.line('kiln', `running: ${shellQuote(full)}`);

  const subprocess = execa(file, args, {
    env,
    extendEnv: false,
    cwd: options.cwd,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    stdout: options.stdoutFile ? { file: options.stdoutFile } : 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    // Own process group: a Ctrl-C on the terminal reaches kiln, which then decides what to stop,
    // and stopping a hook stops everything it started.
    detached: true,
  });
  const stopWatching = watchCancellation(subprocess.pid, options, file === 'sudo');

  const chunks: Buffer[] = [];
  const keepStdout = !options.stdoutFile && (options.captureStdout ?? true);
  // With stdoutFile, execa still exposes the stream it copies to the file: reading it here
  // would push binary archives through the line splitter and into the log.
  const streams = options.stdoutFile ? (['stderr'] as const) : (['stdout', 'stderr'] as const);
  const splitters = streams.map((stream) => {
    const splitter = new LineSplitter((line) => {
      tail.push(line);
      log.line(label, line);
      options.onLine?.(line, stream);
    });
    const source = subprocess[stream];
    source?.on('data', (chunk: Buffer) => {
      if (stream === 'stdout' && keepStdout) chunks.push(chunk);
      splitter.write(chunk);
    });
    return splitter;
  });

  const result = await subprocess.finally(stopWatching);
  for (const s of splitters) s.end();
  const outcome: RunResult = {
    exitCode: result.exitCode,
    signal: result.signal ?? undefined,
    stdout: Buffer.concat(chunks).toString(),
    tail: tail.toArray(),
  };
  if (options.signal?.aborted && options.signal.reason instanceof Error) throw options.signal.reason;
  if (result.failed && result.exitCode === undefined && !result.signal) {
    // The program could not be started at all (ENOENT, EACCES).
    throw new CommandFailedError({
      command: shellQuote(full),
      exitCode: undefined,
      signal: undefined,
      outputTail: [result.shortMessage ?? String(result.cause ?? 'could not start')],
      logFile: log.path,
      what: options.what ? `${options.what} (\`${shellQuote(full)}\`)` : undefined,
      hint: options.hint,
    } as ConstructorParameters<typeof CommandFailedError>[0]);
  }
  if ((outcome.exitCode !== 0 || outcome.signal) && !options.allowFailure) {
    throw new CommandFailedError({
      command: shellQuote(full),
      exitCode: outcome.exitCode,
      signal: outcome.signal,
      outputTail: outcome.tail,
      logFile: log.path,
      ...(options.what ? { what: `${options.what} (\`${shellQuote(full)}\`)` } : {}),
      ...(options.hint ? { hint: options.hint } : {}),
    });
  }
  return outcome;
}


/** Sends `signal` to a whole process group, ignoring groups that are already gone. Behind sudo
 * the group's root processes are signalled through `sudo kill`: an ordinary user may signal sudo
 * itself, which passes the signal on to its child only, and the child's children would live on. */
function killGroup(pid: number, signal: NodeJS.Signals, viaSudo: boolean): void {
  if (viaSudo) {
    // Not awaited: a stop must not wait; the group (sudo's, which its command shares when sudo
    // has no terminal) is gone or signalled once this exits.
    const killer = execa('sudo', ['-n', systemPath('kill'), '-s', signal.replace(/^SIG/, ''), '--', `-${pid}`], { stdio: 'ignore', reject: false });
    killer.catch(() => undefined);
  }
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Wires the abort signals to the process group; returns a function that unwires them. */
function watchCancellation(pid: number | undefined, options: RunOptions, viaSudo: boolean): () => void {
  if (pid === undefined) return () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    killGroup(pid, 'SIGTERM', viaSudo);
    timer = setTimeout(() => killGroup(pid, 'SIGKILL', viaSudo), options.killAfterMs ?? 5000);
  };
  const force = (): void => killGroup(pid, 'SIGKILL', viaSudo);
  if (options.signal?.aborted) stop();
  else options.signal?.addEventListener('abort', stop, { once: true });
  if (options.forceSignal?.aborted) force();
  else options.forceSignal?.addEventListener('abort', force, { once: true });
  return () => {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', stop);
    options.forceSignal?.removeEventListener('abort', force);
  };
}
