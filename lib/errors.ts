// Typed errors. Every error kiln raises on purpose is a KilnError: it carries an exit code,
// a one-line message (what went wrong, where) and an optional hint (how to fix it). The CLI
// prints exactly that and never a stack trace, unless --debug is given.

/** Base of every error kiln raises deliberately. */
export class KilnError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number;
  /** One line telling the user how to fix the problem, if we know. */
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? 1;
    this.hint = options.hint;
  }

  /** Extra lines printed after the message (output tails, log paths). */
  details(): string[] {
    return [];
  }
}

/** Bad input: an option, a size, a flavour name, a config file. Exit code 2. */
export class UsageError extends KilnError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 2, ...(hint === undefined ? {} : { hint }) });
  }
}

/** A configuration file (block-device YAML, package-installs.yaml, build spec) is invalid. */
export class ConfigError extends UsageError {
  readonly file: string | undefined;
  constructor(message: string, file?: string, hint?: string) {
    super(file === undefined ? message : `${file}: ${message}`, hint);
    this.file = file;
  }
}

/** Host tools that the plan needs are missing: all of them are listed at once. */
export class MissingToolsError extends KilnError {
  readonly missing: { tool: string; debianPackage: string; reason: string }[];
  constructor(missing: { tool: string; debianPackage: string; reason: string }[]) {
    const names = missing.map((m) => m.tool).join(', ');
    const packages = [...new Set(missing.map((m) => m.debianPackage))].join(' ');
    super(`missing host tools: ${names}`, {
      exitCode: 2,
      hint: `install them with: apt-get install ${packages}`,
    });
    this.missing = missing;
  }

  override details(): string[] {
    return this.missing.map((m) => `  ${m.tool} (Debian package ${m.debianPackage}) is needed ${m.reason}`);
  }
}

/** Describes how a process ended: exit code or signal. */
function describeExit(exitCode: number | undefined, signal: string | undefined): string {
  if (signal) return `was killed with ${signal}${signalDescription(signal)}`;
  return `exited with code ${exitCode ?? 'unknown'}`;
}

function signalDescription(signal: string): string {
  const names: Record<string, string> = {
    SIGTERM: 'Termination',
    SIGINT: 'User interruption with CTRL-C',
    SIGKILL: 'Forced termination',
    SIGHUP: 'Terminal closed',
    SIGQUIT: 'Quit',
    SIGSEGV: 'Segmentation fault',
    SIGPIPE: 'Broken pipe',
    SIGABRT: 'Aborted',
  };
  const name = names[signal];
  return name ? ` (${name})` : '';
}

/** How a process ended, and what it said: shared by failed commands and failed hooks. */
export interface ProcessExit {
  exitCode: number | undefined;
  signal: string | undefined;
  outputTail: string[];
  logFile?: string | undefined;
}

/** A process kiln started ended badly: its exit, its last output lines and the log's path. */
abstract class ProcessFailedError extends KilnError {
  readonly code: number | undefined;
  readonly signal: string | undefined;
  readonly outputTail: string[];
  readonly logFile: string | undefined;

  protected constructor(message: string, exit: ProcessExit, hint: string | undefined) {
    super(`${message} ${describeExit(exit.exitCode, exit.signal)}`, { exitCode: 1, ...(hint === undefined ? {} : { hint }) });
    this.code = exit.exitCode;
    this.signal = exit.signal;
    this.outputTail = exit.outputTail;
    this.logFile = exit.logFile;
  }

  override details(): string[] {
    const lines = this.outputTail.length ? ['last lines of its output:', ...this.outputTail.map((l) => `  | ${l}`)] : ['it printed nothing'];
    if (this.logFile) lines.push(`full log: ${this.logFile}`);
    return lines;
  }
}

/** An external command kiln ran itself failed. */
export class CommandFailedError extends ProcessFailedError {
  readonly command: string;

  constructor(init: ProcessExit & { command: string; what?: string; hint?: string }) {
    super(init.what ?? `command \`${init.command}\``, init, init.hint);
    this.command = init.command;
  }
}

/** A hook script failed. Names flavour, phase, hook and where it ran. */
export class HookFailedError extends ProcessFailedError {
  readonly flavour: string;
  readonly phase: string;
  readonly hook: string;
  readonly where: string;

  constructor(init: ProcessExit & { flavour: string; phase: string; hook: string; where: string }) {
    super(
      `hook ${init.phase}/${init.hook} (flavour ${init.flavour}, phase ${init.phase.replace(/\.d$/, '')}, ` +
        `${init.where === 'chroot' ? 'in chroot' : 'on host'})`,
      init,
      undefined,
    );
    this.flavour = init.flavour;
    this.phase = init.phase;
    this.hook = init.hook;
    this.where = init.where;
  }
}

/** The signals a kiln command stops on (SIGHUP: the terminal closed; SIGQUIT: Ctrl-\\), each like SIGTERM. */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGQUIT';

const SIGNAL_NUMBERS: Record<StopSignal, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };

/** The build was interrupted by a signal; everything was cleaned up (main.ts says otherwise when clean-up failed). */
export class InterruptedError extends KilnError {
  readonly signal: StopSignal;
  /** What happened, without the claim that everything was released. */
  readonly what: string;
  constructor(signal: StopSignal) {
    super(`build interrupted by ${signal}; everything kiln set up was released`, { exitCode: 128 + SIGNAL_NUMBERS[signal] });
    this.signal = signal;
    this.what = `build interrupted by ${signal}`;
  }
}

/** kiln-write-disk will not write a device: every reason found is listed. Exit code 2. */
export class DeviceRefusedError extends KilnError {
  readonly device: string;
  readonly reasons: string[];
  constructor(device: string, reasons: string[], hint?: string) {
    super(`refusing to write ${device}; nothing was written:`, { exitCode: 2, ...(hint === undefined ? {} : { hint }) });
    this.device = device;
    this.reasons = reasons;
  }

  override details(): string[] {
    return this.reasons.map((r) => `  ${r}`);
  }
}

/** A bug in kiln itself. */
export class InternalError extends KilnError {
  constructor(message: string, cause?: unknown) {
    super(`internal error: ${message}`, {
      exitCode: 70,
      hint: 'this is a bug in kiln; please report it with the build log',
      cause,
    });
  }
}
