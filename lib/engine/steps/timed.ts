// Wraps a core step with start/end events so it shows in the live line and the timing table.
import type { BuildContext } from '../context.js';

/** Runs `body` as a named step. */
export async function timed<T>(ctx: Pick<BuildContext, 'signal' | 'emit'>, step: string, body: () => Promise<T>): Promise<T> {
  ctx.signal.throwIfAborted();
  ctx.emit({ type: 'step-start', step });
  const started = Date.now();
  const result = await body();
  ctx.emit({ type: 'step-end', step, durationMs: Date.now() - started });
  return result;
}
