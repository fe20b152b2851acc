// The build log: every line any command or hook prints goes here, prefixed with a label that
// names who printed it (flavour/hook, or the tool kiln ran). A ring buffer per stream keeps the
// last lines so that an error can show them without re-reading the file.
import { appendFileSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Keeps the last `capacity` lines pushed into it. */
export class LineTail {
  private readonly lines: string[] = [];
  constructor(private readonly capacity = 30) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.shift();
  }

  toArray(): string[] {
    return [...this.lines];
  }
}

/** Splits a stream of text chunks into whole lines. */
export class LineSplitter {
  private rest = '';
  constructor(private readonly onLine: (line: string) => void) {}

  write(chunk: string | Buffer): void {
    const text = this.rest + chunk.toString();
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    for (const part of parts) this.onLine(part.replace(/\r$/, ''));
  }

  end(): void {
    if (this.rest) this.onLine(this.rest);
    this.rest = '';
  }
}

/** Anything that accepts labelled log lines. */
export interface LogSink {
  /** Path of the log file, if there is one (shown in error messages). */
  readonly path: string | undefined;
  line(label: string, text: string): void;
}

/** Appends labelled, timestamped lines to a file. Synchronous so nothing is lost on a crash. */
export class FileLog implements LogSink {
  private fd: number | undefined;
  /** `mirror` gets every line too (the build VM forwards its log to the host this way). */
  constructor(readonly path: string, private readonly mirror?: LogSink) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  line(label: string, text: string): void {
    if (this.fd === undefined) return;
    appendFileSync(this.fd, `${new Date().toISOString()} ${label} | ${text}\n`);
    this.mirror?.line(label, text);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Discards everything; for callers that do not keep a log. */
export const nullLog: LogSink = { path: undefined, line: () => undefined };
