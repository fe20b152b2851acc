// Shows a build to the person running it: on a terminal, one live line that is rewritten as the
// build moves (phase, hook, elapsed seconds, its latest output line); elsewhere (CI logs), one
// plain line per start and end.
import { printable } from './printable.js';
import type { BuildEvent } from './events.js';

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** A renderer writing to a stream (stderr). */
export class ConsoleReporter {
  private current = '';
  private started = Date.now();
  private lastOutput = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly stream: NodeJS.WriteStream, private readonly live = Boolean(stream.isTTY)) {}

  readonly sink = (event: BuildEvent): void => {
    switch (event.type) {
      case 'step-start':
        return this.begin(event.step);
      case 'phase-start':
        return this.begin(`${event.phase}.d [${event.where}, ${event.hooks} hook${event.hooks === 1 ? '' : 's'}]`);
      case 'hook-start':
        return this.begin(`${event.phase}.d/${event.hook} (${event.flavour})`, !this.live);
      case 'hook-output':
        this.lastOutput = event.line;
        return this.redraw();
      case 'hook-end':
        return this.finishLine(`  ${event.phase}.d/${event.hook} (${event.flavour}) done in ${seconds(event.durationMs)}`, !this.live);
      case 'step-end':
        return this.finishLine(`${event.step} done in ${seconds(event.durationMs)}`);
      case 'phase-end':
        return this.finishLine(`${event.phase}.d done in ${seconds(event.durationMs)}`);
      case 'phase-cached':
        return this.finishLine(`${event.phase}.d taken from the cache (${event.reason})`);
      case 'warning':
        return this.print(`warning: ${printable(event.message)}`);
      case 'info':
        return this.print(printable(event.message));
      case 'output':
        return this.print(`wrote ${event.path} (${event.format}, ${(event.bytes / 1048576).toFixed(1)} MiB)`);
    }
  };

  private begin(what: string, printPlain = true): void {
    this.current = what;
    this.started = Date.now();
    this.lastOutput = '';
    if (this.live) {
      this.timer ??= setInterval(() => this.redraw(), 500);
      this.timer.unref();
      this.redraw();
    } else if (printPlain) {
      this.stream.write(`${what}...\n`);
    }
  }

  private redraw(): void {
    if (!this.live || !this.current) return;
    const columns = this.stream.columns || 100;
    const elapsed = seconds(Date.now() - this.started);
    const text = `▶ ${this.current} ${elapsed}${this.lastOutput ? ` | ${this.lastOutput}` : ''}`.replace(/\s+/g, ' ');
    this.stream.write(`\r\x1b[2K${text.slice(0, columns - 1)}`);
  }

  private finishLine(text: string, show = true): void {
    this.current = '';
    if (this.live) this.stream.write('\r\x1b[2K');
    if (show) this.stream.write(`${text}\n`);
  }

  private print(text: string): void {
    if (this.live) this.stream.write('\r\x1b[2K');
    this.stream.write(`${text}\n`);
    this.redraw();
  }

  /** Ends the display with the build's summary (the timing table, where the log is). */
  finish(summary: string): void {
    this.close();
    this.stream.write(`${summary}\n`);
  }

  /** Stops the refresh timer and clears the live line. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.live) this.stream.write('\r\x1b[2K');
  }
}
