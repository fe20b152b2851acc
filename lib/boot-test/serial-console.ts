// The serial console of a machine boot() runs: everything it printed so far, waiting for text
// to appear, and typing into it. boot() feeds it; checks that run while the machine is up
// (BootRequest.whileRunning) use it to log in and run commands (console-login.ts).
import type { Writable } from 'node:stream';
import { KilnError } from '../errors.js';

interface Waiter {
  pattern: RegExp;
  from: number;
  resolve: (match: ConsoleMatch) => void;
  reject: (error: Error) => void;
}

/** Where a pattern matched in the console text. */
export interface ConsoleMatch {
  /** The match and its groups (indices relative to the text searched). */
  match: RegExpExecArray;
  /** Offset in the console text just after the match. */
  end: number;
}

/** The console of one running machine. */
export class SerialConsole {
  private text = '';
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly input: Writable) {
    // Typing after the machine is gone is the caller's waitFor's failure, not a crash.
    input.on('error', () => undefined);
  }

  /** Everything the console printed so far. */
  get printed(): string {
    return this.text;
  }

  /** Appends console output (called by boot() with each chunk). */
  feed(chunk: string): void {
    this.text += chunk;
    for (const waiter of [...this.waiters]) {
      const found = this.find(waiter.pattern, waiter.from);
      if (found) {
        this.waiters.delete(waiter);
        waiter.resolve(found);
      }
    }
  }

  /** The machine is gone: pending waits fail at once. */
  close(): void {
    for (const waiter of this.waiters) waiter.reject(consoleError('the machine stopped', this.text.slice(waiter.from)));
    this.waiters.clear();
  }

  /** Types `text` into the console, as a user at the serial line would. */
  type(text: string): void {
    this.input.write(text);
  }

  /** Resolves at the first match of `pattern` in what the console printed from offset `from` on;
   * rejects after `timeoutMs`, quoting the console's last lines. */
  waitFor(pattern: RegExp, from: number, timeoutMs: number): Promise<ConsoleMatch> {
    const found = this.find(pattern, from);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(consoleError(`no "${pattern.source}" on the console after ${timeoutMs / 1000} s`, this.text.slice(from)));
      }, timeoutMs);
      const waiter: Waiter = {
        pattern,
        from,
        resolve: (match) => (clearTimeout(timer), resolve(match)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      this.waiters.add(waiter);
    });
  }

  private find(pattern: RegExp, from: number): ConsoleMatch | undefined {
    const match = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(this.text.slice(from));
    return match ? { match, end: from + match.index + match[0].length } : undefined;
  }
}

/** A KilnError whose details are the last lines of `consoleText`. */
export function consoleError(what: string, consoleText: string): KilnError {
  const tail = consoleText.split(/\r?\n/).filter((l) => l.trim()).slice(-15);
  const error = new KilnError(what);
  error.details = () => ['last lines of the console:', ...tail.map((l) => `  | ${l}`)];
  return error;
}
