// What is wrong with a build spec: every problem at once, each one line with the JSON path of the
// value it is about (`repos[1].priority: expected an integer, got "high"`), and the line in the
// document when it is known. Pure.
import { UsageError } from '../errors.js';

/** A step of a JSON path: an object key or an array index. */
export type PathStep = string | number;

/** One problem in a spec. */
export interface SpecProblem {
  /** Where the offending value is (empty: the whole document). */
  path: PathStep[];
  /** What is wrong, e.g. `expected an integer, got "high"`. */
  message: string;
  /** Line in the document (1-based), when known. */
  line?: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `repos[1].priority`, `image_data["/boot"].format`; `(document)` for the root. */
export function formatPath(path: readonly PathStep[]): string {
  if (!path.length) return '(document)';
  let text = '';
  for (const step of path) {
    if (typeof step === 'number') text += `[${step}]`;
    else if (IDENTIFIER.test(step)) text += text ? `.${step}` : step;
    else text += `[${JSON.stringify(step)}]`;
  }
  return text;
}

/** One problem as the line kiln prints. */
function formatProblem(problem: SpecProblem): string {
  const line = problem.line === undefined ? '' : ` (line ${problem.line})`;
  return `${formatPath(problem.path)}${line}: ${problem.message}`;
}

/** A value as a message quotes it: short, JSON-like. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A spec that cannot be built: exit 2, one line per problem. */
export class SpecError extends UsageError {
  readonly problems: SpecProblem[];
  readonly source: string;

  constructor(source: string, problems: SpecProblem[], hint?: string) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`invalid build spec ${source} (${count})`, hint);
    this.source = source;
    this.problems = problems;
  }

  override details(): string[] {
    return this.problems.map((p) => `  ${formatProblem(p)}`);
  }
}
