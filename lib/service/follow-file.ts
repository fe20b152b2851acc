// Follows a file another process appends to (a build's log), like `tail -f`: every few hundred
// milliseconds the new bytes are read and handed on, cut at character boundaries.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** Reads what was appended to `path` since the last look. */
export class FileFollower {
  private offset = 0;
  private readonly decoder = new StringDecoder('utf8');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly onText: (text: string) => void,
    private readonly intervalMs = 300,
  ) {}

  /** Starts looking periodically. */
  start(): void {
    this.timer ??= setInterval(() => this.poll(), this.intervalMs);
  }

  /** Reads whatever is new now. */
  poll(): void {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return;
    }
    if (size <= this.offset) return;
    const buffer = Buffer.alloc(size - this.offset);
    const fd = openSync(this.path, 'r');
    try {
      this.offset += readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(fd);
    }
    const text = this.decoder.write(buffer);
    if (text) this.onText(text);
  }

  /** Stops, after reading the rest. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.poll();
    const rest = this.decoder.end();
    if (rest) this.onText(rest);
  }
}
