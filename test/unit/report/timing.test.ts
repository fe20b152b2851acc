// The timing table of a failed or stopped build: what finished, then what was still running, marked.
import { describe, expect, it } from 'vitest';
import { renderTiming, TimingCollector } from '../../../lib/report/timing.js';

describe('the timing table of a build that failed', () => {
  it('lists the steps that finished, then the failing hook and its phase with how long they ran', () => {
    let now = 0;
    const timing = new TimingCollector(() => now);
    const at = (ms: number, event: Parameters<TimingCollector['sink']>[0]): void => {
      now = ms;
      timing.sink(event);
    };
    at(0, { type: 'step-start', step: 'prepare hook tree' });
    at(500, { type: 'step-end', step: 'prepare hook tree', durationMs: 500 });
    at(500, { type: 'phase-start', phase: 'install', where: 'chroot', hooks: 2 });
    at(500, { type: 'hook-start', phase: 'install', hook: '10-a', flavour: 'app' });
    at(1500, { type: 'hook-end', phase: 'install', hook: '10-a', flavour: 'app', durationMs: 1000 });
    at(1500, { type: 'hook-start', phase: 'install', hook: '20-b', flavour: 'app' });
    now = 4000;
    const rows = timing.rowsUntilNow('failed');
    expect(rows).toEqual([
      { kind: 'step', name: 'prepare hook tree', seconds: 0.5 },
      { kind: 'hook', name: 'install.d/10-a (app)', seconds: 1 },
      { kind: 'hook', name: 'install.d/20-b (app)', seconds: 2.5, note: 'failed' },
      { kind: 'phase', name: 'install.d', seconds: 3.5, note: 'failed' },
    ]);
    const table = renderTiming(rows, 4).split('\n').map((l) => l.trim().replace(/\s+/g, ' '));
    expect(table).toEqual([
      '', 'Timing (seconds):', 'prepare hook tree 0.5', 'install.d 3.5 failed',
      'install.d/10-a (app) 1.0', 'install.d/20-b (app) 2.5 failed', 'total 4.0',
    ]);
    expect(timing.rows).toHaveLength(2);
  });
});
