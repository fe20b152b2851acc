// A machine-readable view of a build: one JSON object per event on a file descriptor
// (`--progress-fd N`), for programs that drive kiln (the build service's workers show live
// progress per phase from it). Each line is a BuildEvent plus `at`, the time in milliseconds.
import { writeSync } from 'node:fs';
import type { BuildEvent, EventSink } from './events.js';

/** Writes every event as one JSON line to `fd`; stops quietly when the reader has gone. */
export function jsonLinesSink(fd: number): EventSink {
  let open = true;
  return (event: BuildEvent) => {
    if (!open) return;
    try {
      writeSync(fd, `${JSON.stringify({ ...event, at: Date.now() })}\n`);
    } catch {
      // EPIPE or EBADF: whoever read the progress is gone. The build goes on (and cleans up
      // when it is stopped); losing the progress view must never fail it.
      open = false;
    }
  };
}

/** Parses `--progress-fd`: a descriptor number the caller opened for us. */
export function parseProgressFd(value: string): number | undefined {
  return /^\d+$/.test(value) ? Number(value) : undefined;
}
