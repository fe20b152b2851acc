// Checks a spec document against its JSON Schema (ajv, every error at once) and turns ajv's
// errors into kiln's lines: the JSON path of the value, what was expected and what was given,
// and for an unknown key or value the closest known ones ("did you mean"). Pure.
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { closeNames } from '../flavours/suggest.js';
import type { JsonSchema } from './options.js';
import { describeValue, type PathStep, type SpecProblem } from './problems.js';

const Ajv = AjvModule.default;
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

function validator(schema: JsonSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    // An annotation: the sentence a pattern stands for, used in messages (editors ignore it).
    ajv.addKeyword({ keyword: 'errorText', schemaType: 'string' });
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Every schema problem of `value`, in document order. */
export function schemaProblems(schema: JsonSchema, value: unknown): SpecProblem[] {
  const validate = validator(schema);
  if (validate(value)) return [];
  const problems: SpecProblem[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const problem = describeError(error, value);
    if (!problem) continue;
    const key = JSON.stringify(problem.path);
    // One line per value: the first (most specific) reason is enough.
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return dropMissingWithSuggestion(problems);
}

/** "repos: missing" says nothing new next to "reops: unknown key (did you mean "repos"?)". */
function dropMissingWithSuggestion(problems: SpecProblem[]): SpecProblem[] {
  const suggested = new Set(problems.flatMap((p) => {
    const match = /^unknown key \(did you mean "([^"]+)"/.exec(p.message);
    return match ? [JSON.stringify([...p.path.slice(0, -1), match[1]])] : [];
  }));
  return problems.filter((p) => !(p.message.startsWith('missing:') && suggested.has(JSON.stringify(p.path))));
}

/** Decodes a JSON pointer into path steps (array positions as numbers). */
function pointerToPath(pointer: string, root: unknown): PathStep[] {
  if (!pointer) return [];
  const steps: PathStep[] = [];
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      steps.push(Number(key));
      node = node[Number(key)];
    } else {
      steps.push(key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return steps;
}

const ARTICLE: Record<string, string> = {
  integer: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', array: 'a list', object: 'an object', null: 'null',
};

function expectedTypes(type: unknown): string {
  const list = (Array.isArray(type) ? type : [type]).map((t) => ARTICLE[String(t)] ?? String(t));
  return list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}` : list[0]!;
}

function suggestion(given: string, known: readonly string[]): string {
  const close = closeNames(given, known);
  return close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)` : '';
}

function schemaText(error: ErrorObject): string | undefined {
  const text = (error.parentSchema as Record<string, unknown> | undefined)?.errorText;
  return typeof text === 'string' ? text : undefined;
}

/** One ajv error as a problem; undefined for errors that only repeat another one. */
function describeError(error: ErrorObject, root: unknown): SpecProblem | undefined {
  const path = pointerToPath(error.instancePath, root);
  const params = error.params as Record<string, unknown>;
  const got = describeValue(error.data);
  switch (error.keyword) {
    case 'required':
      return { path: [...path, String(params.missingProperty)], message: 'missing: this key is required' };
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      const close = suggestion(key, known);
      return { path: [...path, key], message: close ? `unknown key${close}` : `unknown key; known keys: ${known.join(', ')}` };
    }
    case 'propertyNames':
      return undefined;
    case 'type':
      return { path, message: `expected ${expectedTypes(params.type)}, got ${got}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      return { path, message: `expected one of ${allowed.join(', ')}, got ${got}${typeof error.data === 'string' ? suggestion(error.data, allowed) : ''}` };
    }
    case 'pattern': {
      const name = (error as ErrorObject & { propertyName?: string }).propertyName;
      if (name !== undefined) return { path: [...path, name], message: `not a valid key: ${schemaText(error) ?? `must match ${String(params.pattern)}`}` };
      return { path, message: `expected ${schemaText(error) ?? `text matching ${String(params.pattern)}`}, got ${got}` };
    }
    case 'minItems':
    case 'minProperties':
      return { path, message: Number(params.limit) === 1 ? 'must not be empty' : `needs at least ${String(params.limit)} entries` };
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'minimum':
    case 'maximum':
      return { path, message: `expected ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}, got ${got}` };
    case 'uniqueItems':
      return { path: [...path, Number(params.i)], message: `repeats entry ${String(params.j)}` };
    default:
      return { path, message: error.message ?? `is not valid (${error.keyword})` };
  }
}
