// From what the user handed over (a JSON string, a file, or `-` for standard input) to a checked
// spec in kiln's terms: read, parse (JSON or YAML), recognise the dialect, validate against its
// schema, apply the rules a schema cannot express, and translate. Every problem is collected
// and reported at once with its JSON path and line.
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { parseSpecText, withLines, type SpecDocument } from './document.js';
import { fuelProblems, fuelToKilnSpec, isFuelDocument, type FuelDocument } from './fuel.js';
import { kilnSpecProblems, kilnSpecToBuild, type KilnSpec, type SpecBuild } from './kiln-spec.js';
import { optionProblems } from './options.js';
import { SpecError, type SpecProblem } from './problems.js';
import { fuelSchema, kilnSpecSchema } from './schema.js';
import { schemaProblems } from './validate.js';

/** Which format a spec is written in. */
export type SpecDialect = 'kiln' | 'fuel';

/** A spec ready to build. */
export interface LoadedSpec {
  source: string;
  dialect: SpecDialect;
  /** The spec in kiln's own terms (a Fuel document translated). */
  spec: KilnSpec;
  build: SpecBuild;
}

const MAX_SPEC_BYTES = 4 << 20;

/** Reads the SPEC argument: `-` is standard input, text starting with `{` is the spec itself, anything else a file. */
export function readSpecArgument(arg: string, readStdin: () => string = () => readFileSync(0, 'utf8')): { text: string; source: string } {
  if (arg === '-') return { text: readStdin(), source: '(stdin)' };
  if (/^\s*\{/.test(arg)) return { text: arg, source: '(command line)' };
  let size: number;
  try {
    const stat = statSync(arg);
    if (!stat.isFile()) throw new UsageError(`build spec ${arg} is not a file`, 'give a JSON or YAML file, a JSON string, or - for standard input');
    size = stat.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read build spec ${arg}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      'give a JSON or YAML file, a JSON string (starting with "{"), or - for standard input');
  }
  if (size > MAX_SPEC_BYTES) throw new UsageError(`build spec ${arg} is ${size} bytes; a spec is at most ${MAX_SPEC_BYTES} bytes`);
  return { text: readFileSync(arg, 'utf8'), source: arg };
}

function fail(doc: SpecDocument, problems: SpecProblem[]): never {
  throw new SpecError(doc.source, withLines(doc, problems), 'the spec format is in schema/kiln-build-spec.schema.json (Fuel\'s: schema/fuel-build-image.schema.json)');
}

/** Parses, checks and translates a spec's text; throws SpecError listing every problem. */
export function loadSpecText(text: string, source: string): LoadedSpec {
  const doc = parseSpecText(text, source);
  if (doc.value === null || typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    fail(doc, [{ path: [], message: `expected an object such as {"flavours": ["debian", "vm"]}, got ${Array.isArray(doc.value) ? 'a list' : JSON.stringify(doc.value)}` }]);
  }
  if (isFuelDocument(doc.value)) {
    const problems = schemaProblems(fuelSchema(), doc.value);
    if (problems.length) fail(doc, problems);
    const fuel = doc.value as FuelDocument;
    const more = fuelProblems(fuel);
    if (more.length) fail(doc, more);
    const spec = fuelToKilnSpec(fuel);
    return { source, dialect: 'fuel', spec, build: kilnSpecToBuild(spec) };
  }
  const problems = schemaProblems(kilnSpecSchema(), doc.value);
  if (problems.length) fail(doc, problems);
  const spec = doc.value as KilnSpec;
  const more = [...optionProblems(spec, spec.kind ?? 'disk', '/'), ...kilnSpecProblems(spec)];
  if (more.length) fail(doc, more);
  return { source, dialect: 'kiln', spec, build: kilnSpecToBuild(spec) };
}

/** Reads and loads the SPEC argument of a command. */
export function loadSpec(arg: string, readStdin?: () => string): LoadedSpec {
  const { text, source } = readSpecArgument(arg, readStdin);
  return loadSpecText(text, source);
}
