// A running job's progress: the phases its build goes through and the state of each, folded
// from the build's event stream (`--progress-fd`). The page draws one bar segment per entry.
// (pure)
import { PHASES } from '../flavours/phases.js';
import { typesOfKind } from '../outputs/registry.js';
import type { BuildEvent } from '../report/events.js';
import type { PhaseProgress } from './job.js';

/** The last entry: writing the output files. */
export const OUTPUTS_STEP = 'outputs';

/** The phases a build of these output types runs, then the outputs step. */
export function progressSteps(types: readonly string[]): string[] {
  const disk = typesOfKind(types, 'image').length > 0;
  const phases = PHASES.filter((p) => p.where !== 'image' && (p.builds === 'all' || disk)).map((p) => p.name);
  return [...phases, OUTPUTS_STEP];
}

/** Folds build events into the progress list and the name of what runs now. */
export class ProgressTracker {
  private readonly steps: PhaseProgress[];
  current = '';

  constructor(names: readonly string[]) {
    this.steps = names.map((name) => ({ name, state: 'pending' }));
  }

  /** The progress so far (a copy). */
  get progress(): PhaseProgress[] {
    return this.steps.map((s) => ({ ...s }));
  }

  /** Applies one event; true when the progress or the current step changed. */
  apply(event: BuildEvent): boolean {
    switch (event.type) {
      case 'phase-start':
        this.current = event.phase;
        this.set(event.phase, { state: 'running' });
        return true;
      case 'phase-end':
        return this.set(event.phase, { state: 'done', durationMs: event.durationMs });
      case 'phase-cached':
        return this.set(event.phase, { state: 'cached' });
      case 'step-start':
        this.current = event.step;
        if (/^(write|convert|copy unchanged outputs)/.test(event.step)) this.set(OUTPUTS_STEP, { state: 'running' });
        return true;
      default:
        return false;
    }
  }

  /** After a successful build: phases never reported came from the cache; outputs are written. */
  finish(): void {
    for (const step of this.steps) {
      if (step.name === OUTPUTS_STEP) step.state = 'done';
      else if (step.state === 'pending' || step.state === 'running') step.state = step.state === 'running' ? 'done' : 'cached';
    }
    this.current = '';
  }

  private set(name: string, change: Partial<PhaseProgress>): boolean {
    const step = this.steps.find((s) => s.name === name);
    if (!step) return false;
    Object.assign(step, change);
    return true;
  }
}

/** Parses one line of `--progress-fd` output; undefined for anything else. */
export function parseProgressLine(line: string): BuildEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as { type?: unknown };
    return typeof value.type === 'string' ? (value as BuildEvent) : undefined;
  } catch {
    return undefined;
  }
}
