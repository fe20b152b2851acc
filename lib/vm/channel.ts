// One side of the host ↔ guest channel: JSON messages, one per line, over any pair of streams
// (a unix socket on the host, the virtio-serial port in the guest).
import type { Readable, Writable } from 'node:stream';
import { LineSplitter } from '../log.js';
import { decodeMessage, encodeMessage, type GuestMessage, type HostMessage } from './protocol.js';

/** Sends `Out` messages and hands every `In` message to a listener. */
export class Channel<In extends GuestMessage | HostMessage, Out extends GuestMessage | HostMessage> {
  private readonly listeners: ((message: In) => void)[] = [];
  private closed = false;

  constructor(input: Readable, private readonly output: Writable, onNoise?: (line: string) => void) {
    const splitter = new LineSplitter((line) => {
      const message = decodeMessage<In>(line);
      if (message) for (const listener of this.listeners) listener(message);
      else if (line.trim()) onNoise?.(line);
    });
    input.on('data', (chunk: Buffer) => splitter.write(chunk));
    input.on('end', () => splitter.end());
    output.on('error', () => (this.closed = true));
  }

  /** Sends one message (dropped once the other side is gone). */
  send(message: Out): void {
    if (!this.closed) this.output.write(encodeMessage(message));
  }

  /** Resolves once everything sent so far has been written. */
  flush(): Promise<void> {
    return new Promise((resolve) => (this.closed ? resolve() : this.output.write('', () => resolve())));
  }

  /** Calls `listener` for every message from now on. */
  onMessage(listener: (message: In) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves with the first message of `type` (or rejects when `signal` aborts). */
  next<T extends In['type']>(type: T, signal?: AbortSignal): Promise<Extract<In, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal!.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.onMessage((message) => {
        if (message.type !== type) return;
        signal?.removeEventListener('abort', onAbort);
        resolve(message as Extract<In, { type: T }>);
      });
    });
  }
}
