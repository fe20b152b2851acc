// What a build reports while it runs. The engine emits these; renderers (live TTY line, plain
// log lines, timing table, later JSON for the build service) decide how to show them.

/** One thing that happened during a build. */
export type BuildEvent =
  | { type: 'step-start'; step: string }
  | { type: 'step-end'; step: string; durationMs: number }
  | { type: 'phase-start'; phase: string; where: string; hooks: number }
  | { type: 'phase-end'; phase: string; durationMs: number }
  | { type: 'phase-cached'; phase: string; reason: string }
  | { type: 'hook-start'; phase: string; hook: string; flavour: string }
  | { type: 'hook-output'; phase: string; hook: string; flavour: string; line: string }
  | { type: 'hook-end'; phase: string; hook: string; flavour: string; durationMs: number }
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string }
  | { type: 'output'; format: string; path: string; bytes: number };

/** Receives events. */
export type EventSink = (event: BuildEvent) => void;

/** Fans one event out to several sinks. */
export function fanOut(...sinks: EventSink[]): EventSink {
  return (event) => {
    for (const sink of sinks) sink(event);
  };
}

/** For exhaustive switches over event types. */
export function unreachable(value: never): never {
  throw new Error(`unexpected event ${JSON.stringify(value)}`);
}
