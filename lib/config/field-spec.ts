// The shape of one entry of the option table (lib/config/fields.ts), and the views derived from a
// whole table: the environment variables it owns, the variables hooks get, the cache-key lines.
// Pure.
import type { BuildKind } from './build-request.js';

/** How an option's raw value looks: text, a yes/no flag, a repeat count (-xx), a list (-p a -p b). */
export type FieldType = 'text' | 'flag' | 'count' | 'list';

/** The raw value of a field of type `Y`, before its parse. */
export type RawOf<Y extends FieldType> = Y extends 'flag' ? boolean : Y extends 'count' ? number : Y extends 'list' ? string[] : string;

/** What a field's value changes: the image tree (every layer key and the output key), only the
 * outputs (the output key), or neither (where files go, logging, caching, checks). */
export type CacheEffect = 'tree' | 'outputs' | 'none';

/** What a field's parse and default see. */
export interface FieldContext {
  kind: BuildKind;
  /** Relative paths are resolved against this folder. */
  cwd: string;
  /** The user's environment (HOME and friends for defaults). */
  env: Record<string, string | undefined>;
}

/** One option: declared once, with everything each view of it needs. */
export interface FieldSpec<K extends string = string, Y extends FieldType = FieldType, T = unknown> {
  /** The BuildRequest property. */
  key: K;
  /** The key in a JSON build spec (stable: specs are stored). */
  spec: string;
  type: Y;
  /** Commander flags (`-o, --output <name>`) and the commands that have them (default: both). */
  cli?: { flags: string; commands?: readonly BuildKind[] };
  /** Environment variable read when no flag or spec value is given (DIB's name where it has one). */
  env?: string;
  /** Help text (with the default when there is one). */
  help: string;
  /** The value when nothing sets it. */
  default(ctx: FieldContext): T;
  /** Checks and converts a raw value; throws one UsageError line naming `where`. */
  parse(raw: RawOf<Y>, where: string, ctx: FieldContext): T;
  cache: CacheEffect;
  /** The variable hooks see (undefined value: not set). Only `tree` fields' variables are part of the
   * layer keys: hooks of the root phases could write them into the image. */
  hook?: { name: string; value(value: T, ctx: FieldContext): string | undefined };
  /** Two different valid raw values: documentation, and the cache-key test feeds them in. */
  examples: readonly [RawOf<Y>, RawOf<Y>];
}

/** Declares a field (keeps `key`, `type` and the value type for the derived request type). */
export function field<const K extends string, const Y extends FieldType, T>(spec: FieldSpec<K, Y, T>): FieldSpec<K, Y, T> {
  return spec;
}

/** Any field of a table (methods are compared bivariantly, so every field is one). */
export type AnyField = FieldSpec<string, FieldType, unknown>;

/** The values of a table of fields, by key: the option part of a BuildRequest. */
export type FieldValues<F extends readonly AnyField[]> = {
  [E in F[number] as E['key']]: ReturnType<E['default']>;
};

/** The long flag of a field (`--image-size`), or its first flag. */
export function flagName(f: AnyField): string | undefined {
  if (!f.cli) return undefined;
  const names = f.cli.flags.split(/[ ,]+/).filter((word) => word.startsWith('-'));
  return names.find((n) => n.startsWith('--')) ?? names[0];
}
