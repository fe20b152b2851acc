// What the rest of kiln reads off the option table besides the request: the environment
// variables the table owns, the variables hooks get from the options, and the lines options add
// to the cache keys. Deriving them here is what keeps a new option from being left out of one.
// Pure.
import type { AnyField, CacheEffect } from './field-spec.js';
import { FIELDS } from './fields.js';
import type { BuildRequest } from './build-request.js';

const ALL = FIELDS as readonly AnyField[];

/** A variable hooks get, with where its value came from. */
export interface OptionVariable {
  name: string;
  value: string;
  /** The flag, variable or spec field that set the option; `kiln` for a default. */
  source: string;
}

/** Variables of the user's environment that options read: they reach hooks only as their
 * option makes them (validated), never as the user wrote them. */
export const OPTION_ENV_NAMES: ReadonlySet<string> = new Set(ALL.flatMap((f) => (f.env ? [f.env] : [])));

/** The variables hooks get from the request's options, in table order. */
export function optionVariables(request: BuildRequest): OptionVariable[] {
  const ctx = { kind: request.kind, cwd: request.cwd, env: request.env };
  const values = request as unknown as Record<string, unknown>;
  return ALL.flatMap((f) => {
    const value = f.hook?.value(values[f.key], ctx);
    if (!f.hook || value === undefined) return [];
    return [{ name: f.hook.name, value, source: request.origins[f.key as keyof typeof request.origins] ?? 'kiln' }];
  });
}

/** Variables options give hooks that never change the image tree, so stay out of layer keys
 * (`-o`, the cache folder, -x, ...): the same build under another -o reuses its layers. */
export const KEY_NEUTRAL_OPTION_VARIABLES: ReadonlySet<string> = new Set(
  ALL.flatMap((f) => (f.hook && f.cache !== 'tree' ? [f.hook.name] : [])),
);

/** `option KEY VALUE` lines of the options with `effect`, for a cache key. */
export function optionKeyLines(request: BuildRequest, effect: CacheEffect): string[] {
  const values = request as unknown as Record<string, unknown>;
  return ALL.filter((f) => f.cache === effect).map((f) => `option ${f.key} ${JSON.stringify(values[f.key]) ?? 'unset'}`);
}
