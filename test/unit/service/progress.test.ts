// Progress per phase, folded from the build's events.
import { describe, expect, it } from 'vitest';
import { OUTPUTS_STEP, parseProgressLine, progressSteps, ProgressTracker } from '../../../lib/service/progress.js';

describe('progress', () => {
  it('lists the phases of tree and disk builds, then the outputs', () => {
    expect(progressSteps(['tar'])).toEqual(['root', 'extra-data', 'pre-install', 'install', 'post-install', 'post-root', 'cleanup', OUTPUTS_STEP]);
    expect(progressSteps(['qcow2'])).toContain('finalise');
    expect(progressSteps(['tar', 'raw'])).toContain('block-device');
  });

  it('follows the events, and a cached build ends with every phase cached', () => {
    const tracker = new ProgressTracker(progressSteps(['tar']));
    expect(tracker.apply({ type: 'phase-start', phase: 'root', where: 'host', hooks: 1 })).toBe(true);
    expect(tracker.current).toBe('root');
    tracker.apply({ type: 'phase-end', phase: 'root', durationMs: 1200 });
    tracker.apply({ type: 'phase-cached', phase: 'install', reason: 'unchanged' });
    expect(tracker.apply({ type: 'hook-output', phase: 'root', hook: 'x', flavour: 'f', line: 'hi' })).toBe(false);
    tracker.apply({ type: 'step-start', step: 'write tar' });
    expect(tracker.progress.find((p) => p.name === OUTPUTS_STEP)?.state).toBe('running');
    tracker.finish();
    const states = Object.fromEntries(tracker.progress.map((p) => [p.name, p.state]));
    expect(states).toMatchObject({ root: 'done', install: 'cached', 'post-root': 'cached', outputs: 'done' });
    expect(tracker.progress[0]).toEqual({ name: 'root', state: 'done', durationMs: 1200 });
  });

  it('reads --progress-fd lines and ignores anything else', () => {
    expect(parseProgressLine('{"type":"phase-start","phase":"root","at":1}')).toMatchObject({ type: 'phase-start' });
    expect(parseProgressLine('warning: x')).toBeUndefined();
    expect(parseProgressLine('{broken')).toBeUndefined();
  });
});
