// Reads the text of a build spec, JSON or YAML, into plain data, keeping the line of every value
// (for messages) and reporting a key given twice in one object (JSON.parse would silently keep
// the last one: two images for one mount point must be an error, not a surprise). Pure.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { SpecError, type PathStep, type SpecProblem } from './problems.js';

/** A spec document read into plain data. */
export interface SpecDocument {
  /** Where it came from, for messages: a file name, `(stdin)` or `(command line)`. */
  source: string;
  /** The data, as JSON.parse would give it. */
  value: unknown;
  /** The line (1-based) a value starts on, when known. */
  lineOf(path: readonly PathStep[]): number | undefined;
}

/** True when the text is meant as JSON (its first character opens an object or a list). */
function looksLikeJson(text: string): boolean {
  return /^\s*[[{]/.test(text);
}

/** Parses `text`; throws SpecError with every syntax problem and every repeated key. */
export function parseSpecText(text: string, source: string): SpecDocument {
  const lines = new Map<string, number>();
  const duplicates: SpecProblem[] = [];
  let value: unknown;
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: false });
  if (looksLikeJson(text)) {
    value = parseJson(text, source);
  } else {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0].line;
      throw new SpecError(source, [{ path: [], message: `invalid YAML: ${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, ...(line ? { line } : {}) }]);
    }
    value = doc.toJS({ maxAliasCount: 100 });
  }
  if (!doc.errors.length) walk(doc.contents, [], counter, lines, duplicates);
  if (value === undefined || value === null) {
    throw new SpecError(source, [{ path: [], message: 'the document is empty; a build spec is an object such as {"flavours": ["debian", "vm"]}' }]);
  }
  if (duplicates.length) throw new SpecError(source, duplicates);
  return { source, value, lineOf: (path) => lines.get(pathKey(path)) };
}

function pathKey(path: readonly PathStep[]): string {
  return JSON.stringify(path);
}

/** JSON.parse with the line and column of the error when V8 gives a position. */
function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message);
    let where = '';
    let line: number | undefined;
    if (position) {
      const before = text.slice(0, Number(position[1]));
      line = before.split('\n').length;
      where = ` (column ${before.length - before.lastIndexOf('\n')})`;
    }
    const problem: SpecProblem = { path: [], message: `invalid JSON: ${message.replace(/ in JSON at position \d+/, '')}${where}`, ...(line ? { line } : {}) };
    throw new SpecError(source, [problem], 'check the quotes, commas and brackets around that place');
  }
}

/** Records the line of every value and every key repeated within one mapping. */
function walk(node: unknown, path: PathStep[], counter: LineCounter, lines: Map<string, number>, duplicates: SpecProblem[]): void {
  const start = (node as Node | null)?.range?.[0];
  if (start !== undefined) lines.set(pathKey(path), counter.linePos(start).line);
  if (isMap(node)) {
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const keyStart = (pair.key as Node | null)?.range?.[0];
      const line = keyStart === undefined ? 0 : counter.linePos(keyStart).line;
      const first = seen.get(key);
      if (first !== undefined) {
        duplicates.push({ path: [...path, key], message: `given twice (lines ${first} and ${line}); keep one of them`, line });
      } else {
        seen.set(key, line);
      }
      walk(pair.value, [...path, key], counter, lines, duplicates);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => walk(item, [...path, index], counter, lines, duplicates));
  }
}

/** Position of every value in a depth-first walk of the data: the order a reader meets them. */
function documentOrder(value: unknown): Map<string, number> {
  const order = new Map<string, number>();
  const visit = (node: unknown, path: PathStep[]): void => {
    order.set(pathKey(path), order.size);
    if (Array.isArray(node)) node.forEach((item, i) => visit(item, [...path, i]));
    else if (node !== null && typeof node === 'object') for (const [key, item] of Object.entries(node)) visit(item, [...path, key]);
  };
  visit(value, []);
  return order;
}

/** Adds the document's line to each problem that has none, and sorts them as the document reads. */
export function withLines(doc: SpecDocument, problems: SpecProblem[]): SpecProblem[] {
  const order = documentOrder(doc.value);
  const rank = (path: readonly PathStep[]): number => {
    for (let n = path.length; n >= 0; n--) {
      const found = order.get(pathKey(path.slice(0, n)));
      if (found !== undefined) return found;
    }
    return 0;
  };
  const sorted = [...problems].sort((a, b) => rank(a.path) - rank(b.path));
  return sorted.map((p) => {
    if (p.line !== undefined) return p;
    const line = doc.lineOf(p.path) ?? nearestLine(doc, p.path);
    return line === undefined ? p : { ...p, line };
  });
}

/** The line of the closest ancestor that has one (a missing key is reported at its parent). */
function nearestLine(doc: SpecDocument, path: readonly PathStep[]): number | undefined {
  for (let n = path.length - 1; n > 0; n--) {
    const line = doc.lineOf(path.slice(0, n));
    if (line !== undefined) return line;
  }
  return undefined;
}
