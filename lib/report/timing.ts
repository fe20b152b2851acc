// Collects durations from events and renders the end-of-build timing table (seconds per step,
// per phase and per hook), like dib-run-parts' PROFILING block but for the whole build.
import type { BuildEvent } from './events.js';

/** One row of the timing table. */
export interface TimingRow {
  /** `phase`, `hook` or `step`. */
  kind: 'step' | 'phase' | 'hook';
  name: string;
  seconds: number;
  note?: string;
}

/** Accumulates timing rows in the order things finished, and knows what is still running. */
export class TimingCollector {
  readonly rows: TimingRow[] = [];
  private readonly running: { kind: TimingRow['kind']; name: string; since: number }[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  readonly sink = (event: BuildEvent): void => {
    switch (event.type) {
      case 'step-start':
        return this.start('step', event.step);
      case 'phase-start':
        return this.start('phase', `${event.phase}.d`);
      case 'hook-start':
        return this.start('hook', hookName(event));
      case 'step-end':
        return this.end('step', event.step, event.durationMs);
      case 'phase-end':
        return this.end('phase', `${event.phase}.d`, event.durationMs);
      case 'phase-cached':
        this.rows.push({ kind: 'phase', name: `${event.phase}.d`, seconds: 0, note: 'from cache' });
        return;
      case 'hook-end':
        return this.end('hook', hookName(event), event.durationMs);
      default:
        return;
    }
  };

  /** The rows, with what was still running when the build stopped marked with `note` (`failed`). */
  rowsUntilNow(note: string): TimingRow[] {
    const unfinished = [...this.running].reverse().map((r) => ({ kind: r.kind, name: r.name, seconds: (this.now() - r.since) / 1000, note }));
    return [...this.rows, ...unfinished];
  }

  private start(kind: TimingRow['kind'], name: string): void {
    this.running.push({ kind, name, since: this.now() });
  }

  private end(kind: TimingRow['kind'], name: string, durationMs: number): void {
    const index = this.running.findLastIndex((r) => r.kind === kind && r.name === name);
    if (index >= 0) this.running.splice(index, 1);
    this.rows.push({ kind, name, seconds: durationMs / 1000 });
  }
}

function hookName(event: { phase: string; hook: string; flavour: string }): string {
  return `${event.phase}.d/${event.hook} (${event.flavour})`;
}

/** Renders rows as an aligned table; hooks are indented under their phase. */
export function renderTiming(rows: readonly TimingRow[], totalSeconds: number): string {
  const lines = ['', 'Timing (seconds):'];
  const width = Math.max(20, ...rows.map((r) => r.name.length + (r.kind === 'hook' ? 4 : 2)));
  for (const row of ordered(rows)) {
    const label = row.kind === 'hook' ? `    ${row.name}` : `  ${row.name}`;
    lines.push(`${label.padEnd(width + 10)} ${row.seconds.toFixed(1).padStart(7)}${row.note ? `  ${row.note}` : ''}`);
  }
  lines.push(`${'  total'.padEnd(width + 10)} ${totalSeconds.toFixed(1).padStart(7)}`);
  return lines.join('\n');
}

/** Puts each phase's hooks right after the phase row (hooks end before their phase does). */
function ordered(rows: readonly TimingRow[]): TimingRow[] {
  const out: TimingRow[] = [];
  let pendingHooks: TimingRow[] = [];
  for (const row of rows) {
    if (row.kind === 'hook') {
      pendingHooks.push(row);
      continue;
    }
    out.push(row);
    if (row.kind === 'phase') {
      out.push(...pendingHooks);
      pendingHooks = [];
    }
  }
  return [...out, ...pendingHooks];
}
