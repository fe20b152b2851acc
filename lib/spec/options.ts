// The build options of a spec are the fields of the option table (lib/config/fields.ts), each
// under its spec key: their JSON Schema is derived from each field's type (with the allowed
// values and forms where the table has them, so editors can check them), and their values are
// checked by the fields' own parse, every one at once, each problem at its JSON path. Pure.
import type { AnyField } from '../config/field-spec.js';
import { FIELDS } from '../config/fields.js';
import { fieldApplies, fieldBySpecKey } from '../config/parse-options.js';
import type { BuildKind } from '../config/build-request.js';
import { ARCHES } from '../config/values.js';
import { KilnError } from '../errors.js';
import { OUTPUT_FORMATS } from '../outputs/registry.js';
import type { SpecProblem } from './problems.js';

/** A JSON Schema fragment. */
export type JsonSchema = Record<string, unknown>;

const ALL = FIELDS as readonly AnyField[];

const SIZE: JsonSchema = {
  type: ['string', 'number'],
  pattern: '^\\s*\\d+(\\.\\d+)?\\s*([KkMmGgTt]([Ii]?[Bb])?|[Bb])?\\s*$',
  errorText: 'a size such as "2G", "1500M" or "2GiB"',
};

/** What a schema can say beyond a field's type, by spec key. */
const REFINED: Readonly<Record<string, JsonSchema>> = {
  types: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: OUTPUT_FORMATS.map((f) => f.name) } },
  arch: { enum: [...ARCHES, 'x86_64', 'aarch64', 'ppc64le'] },
  compress: { enum: ['zstd', 'gzip'] },
  imageSize: SIZE,
  imageExtraSize: SIZE,
  minTmpfs: SIZE,
  packages: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9+.:=~_-]*$', errorText: 'a package name' } },
};

function typeSchema(f: AnyField): JsonSchema {
  switch (f.type) {
    case 'flag':
      return { type: 'boolean' };
    case 'count':
      return { type: 'integer', minimum: 0 };
    case 'list':
      return { type: 'array', items: { type: 'string', minLength: 1 } };
    default:
      return { type: ['string', 'number'] };
  }
}

/** The schema of every option, by spec key, described by the field's help. */
export function optionSchemas(): Record<string, JsonSchema> {
  return Object.fromEntries(ALL.map((f) => [f.spec, { description: f.help, ...(REFINED[f.spec] ?? typeSchema(f)) }]));
}

/** The option values of a spec document (keys that are option fields), as given. */
export function specOptionValues(doc: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(doc).filter(([key]) => fieldBySpecKey(key) !== undefined));
}

/** Runs each field's own check on the spec's value; every failure becomes a problem at its key. */
export function optionProblems(doc: Record<string, unknown>, kind: BuildKind, cwd: string): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const ctx = { kind, cwd, env: {} };
  for (const [key, value] of Object.entries(specOptionValues(doc))) {
    const f = fieldBySpecKey(key)!;
    if (!fieldApplies(f, kind)) {
      problems.push({ path: [key], message: `not an option of ${kind} builds` });
      continue;
    }
    try {
      const raw = f.type === 'text' ? String(value) : value;
      f.parse(raw as never, key, ctx);
    } catch (error) {
      if (!(error instanceof KilnError)) throw error;
      problems.push({ path: [key], message: error.message.replace(new RegExp(`^${key}:? `), '') + (error.hint ? ` (${error.hint})` : '') });
    }
  }
  return problems;
}
