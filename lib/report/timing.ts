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

/** Accumulates timing rows in the order things finished. */
export class TimingCollector {
  readonly rows: TimingRow[] = [];

  readonly sink = (event: BuildEvent): void => {
    switch (event.type) {
      case 'step-end':
        this.rows.push({ kind: 'step', name: event.step, seconds: event.durationMs / 1000 });
        break;
      case 'phase-end':
        this.rows.push({ kind: 'phase', name: `${event.phase}.d`, seconds: event.durationMs / 1000 });
        break;
      case 'phase-cached':
        this.rows.push({ kind: 'phase', name: `${event.phase}.d`, seconds: 0, note: 'from cache' });
        break;
      case 'hook-end':
        this.rows.push({ kind: 'hook', name: `${event.phase}.d/${event.hook} (${event.flavour})`, seconds: event.durationMs / 1000 });
        break;
      default:
        break;
    }
  };
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
