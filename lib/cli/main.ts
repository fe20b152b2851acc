// Shared entry of kiln's commands: turns SIGINT, SIGTERM, SIGHUP (terminal closed) and SIGQUIT
// into aborts (so every resource is released by the code that acquired it), prints errors as one
// line plus details and a hint, and sets the exit code. When clean-up failed as well, the error
// the work failed with comes first, then, by name, what could not be released; nothing then
// claims that everything was released. Nothing below this file calls process.exit.
import { CommanderError } from 'commander';
import { InternalError, InterruptedError, KilnError, type StopSignal } from '../errors.js';
import { printable } from '../report/printable.js';
import { unwrapCleanup, type ReleaseFailure } from '../resources/disposable-stack.js';

const STOP_SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** Signals of one command run: `signal` stops work gracefully, `forceSignal` kills hooks at once. */
export interface Interrupts {
  signal: AbortSignal;
  forceSignal: AbortSignal;
}

/**
 * A command whose reader went away (the build service's worker was killed, an ssh session
 * dropped, `| head`) gets EPIPE on its output: it must still finish or clean up, not crash.
 */
function ignoreBrokenPipe(): void {}

/** Runs a command body with signal handling and error reporting; resolves to the exit code. */
export async function runCommand(name: string, argv: string[], body: (interrupts: Interrupts) => Promise<number | void>): Promise<number> {
  const graceful = new AbortController();
  const force = new AbortController();
  const debug = argv.includes('--debug');
  const onSignal = (signal: StopSignal): void => {
    if (!graceful.signal.aborted) {
      process.stderr.write(`\n${name}: ${signal} received: stopping and cleaning up (press Ctrl-C again to kill the running hook at once)\n`);
      graceful.abort(new InterruptedError(signal));
    } else if (!force.signal.aborted) {
      process.stderr.write(`\n${name}: killing the running hook; cleanup still runs\n`);
      force.abort(new InterruptedError(signal));
    }
  };
  const handlers = STOP_SIGNALS.map((signal) => [signal, (): void => onSignal(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  for (const stream of [process.stdout, process.stderr]) {
    if (!stream.listeners('error').includes(ignoreBrokenPipe)) stream.on('error', ignoreBrokenPipe);
  }
  // A bug that throws outside the build's promise chain (an event handler) would end Node at once,
  // with mounts, loop devices and QEMU still held: stop the work instead, so clean-up runs.
  let crash: InternalError | undefined;
  const onCrash = (error: unknown): void => {
    if (crash) return;
    crash = new InternalError(error instanceof Error ? error.message : String(error), error);
    if (error instanceof Error && error.stack) crash.stack = error.stack;
    process.stderr.write(printable(`\n${name}: ${crash.message}: stopping and cleaning up\n`));
    graceful.abort(crash);
    force.abort(crash);
  };
  process.on('uncaughtException', onCrash);
  try {
    const code = (await body({ signal: graceful.signal, forceSignal: force.signal })) ?? 0;
    return crash ? reportError(name, crash, debug) : code;
  } catch (error) {
    // A crash was printed when it happened; what the work then failed with (usually the crash,
    // as the abort's reason) comes next, with anything clean-up could not release.
    return reportError(name, error, debug);
  } finally {
    process.off('uncaughtException', onCrash);
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}

/** Prints an error the way kiln always does and returns its exit code. */
export function reportError(name: string, error: unknown, debug: boolean): number {
  const { primary, cleanup } = unwrapCleanup(error);
  if (!cleanup.length) return reportOne(name, primary, debug);
  // The work's error first, without a claim that everything was released; then what was not.
  const code = reportOne(name, primary instanceof InterruptedError ? new KilnError(primary.what, { exitCode: primary.exitCode }) : primary, debug);
  process.stderr.write(`${name}: clean-up failed as well; not released:\n${cleanup.map((f) => printable(`  ${f.name}: ${failureText(f)}\n`)).join('')}`);
  process.stderr.write('hint: release these by hand (findmnt, losetup -a), or start another build with the same TMPDIR: it clears what a build that is gone left behind\n');
  if (debug) for (const f of cleanup) if (f.error instanceof Error && f.error.stack) process.stderr.write(`${f.error.stack}\n`);
  return code;
}

function failureText(failure: ReleaseFailure): string {
  return (failure.error instanceof Error ? failure.error.message : String(failure.error)).split('\n')[0]!;
}

function reportOne(name: string, error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return 0;
    const message = error.message.replace(/^error:\s*/, '');
    process.stderr.write(printable(`${name}: ${message}\nhint: see \`${name} --help\`\n`));
    return 2;
  }
  if (error instanceof KilnError) {
    process.stderr.write(printable(`${name}: ${error.message}\n`));
    for (const line of error.details()) process.stderr.write(`${printable(line)}\n`);
    if (error.hint) process.stderr.write(printable(`hint: ${error.hint}\n`));
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const text = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${name}: internal error: ${printable(text)}\nhint: this is a bug in kiln; please report it (run with --debug for the stack)\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 70;
}
