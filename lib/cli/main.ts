// Shared entry of kiln's commands: turns SIGINT/SIGTERM into aborts (so every resource is
// released by the code that acquired it), prints errors as one line plus details and a hint,
// and sets the exit code. Nothing below this file calls process.exit.
import { CommanderError } from 'commander';
import { InterruptedError, KilnError } from '../errors.js';

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
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    if (!graceful.signal.aborted) {
      process.stderr.write(`\n${name}: ${signal} received: stopping and cleaning up (press Ctrl-C again to kill the running hook at once)\n`);
      graceful.abort(new InterruptedError(signal));
    } else if (!force.signal.aborted) {
      process.stderr.write(`\n${name}: killing the running hook; cleanup still runs\n`);
      force.abort(new InterruptedError(signal));
    }
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  for (const stream of [process.stdout, process.stderr]) {
    if (!stream.listeners('error').includes(ignoreBrokenPipe)) stream.on('error', ignoreBrokenPipe);
  }
  try {
    return (await body({ signal: graceful.signal, forceSignal: force.signal })) ?? 0;
  } catch (error) {
    return reportError(name, error, debug);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/** Prints an error the way kiln always does and returns its exit code. */
export function reportError(name: string, error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return 0;
    const message = error.message.replace(/^error:\s*/, '');
    process.stderr.write(`${name}: ${message}\nhint: see \`${name} --help\`\n`);
    return 2;
  }
  if (error instanceof KilnError) {
    process.stderr.write(`${name}: ${error.message}\n`);
    for (const line of error.details()) process.stderr.write(`${line}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  const text = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${name}: internal error: ${text}\nhint: this is a bug in kiln; please report it (run with --debug for the stack)\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 70;
}
