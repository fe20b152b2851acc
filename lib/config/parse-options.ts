// Turns the values a build is given (command line, JSON build spec, environment) into a validated
// BuildRequest, field by field through the option table. Every check here runs in a dry run and
// in a real build alike; each failure is one UsageError line that says where the bad value came
// from, what is wrong and how to fix it. Pure.
import { UsageError } from '../errors.js';
import { outputFormat, outputPath, stripTypeSuffix } from '../outputs/registry.js';
import { checkOutputFiles } from './output-paths.js';
import { flagName, type AnyField, type FieldContext, type FieldType } from './field-spec.js';
import { FIELDS, type FieldKey, type OptionValues } from './fields.js';
import type { BuildKind, BuildRequest } from './build-request.js';
import { checkRules } from './rules.js';
import { parseBoolean, parseNumberOption, splitList } from './values.js';

/** A value as commander hands it over: text, true for a given flag (`--no-tmpfs` too), a count, a list. */
export type CliValue = string | boolean | number | readonly string[];

/** Values from the command line, by field key. */
export type CliValues = Partial<Record<FieldKey, CliValue>>;

/** Values from a JSON build spec, by spec key, and how to name the spec in messages. */
export interface SpecValues {
  values: Readonly<Record<string, unknown>>;
  /** `build.json` → messages say `build.json: imageSize ...`. */
  label: string;
}

/** Whether a field is an option of this kind of build (fields without a flag are of both). */
export function fieldApplies(f: AnyField, kind: BuildKind): boolean {
  return !f.cli?.commands || f.cli.commands.includes(kind);
}

/** The field whose spec key is `specKey`. */
export function fieldBySpecKey(specKey: string): AnyField | undefined {
  return (FIELDS as readonly AnyField[]).find((f) => f.spec === specKey);
}

function fromCli(f: AnyField, value: CliValue): unknown {
  if (f.type === 'flag') return true; // commander gives false for a given --no-x
  if (f.type === 'list') return (value as readonly string[]).flatMap(splitList);
  return value;
}

function fromEnv(type: FieldType, name: string, text: string): unknown {
  if (type === 'flag') return parseBoolean(name, text);
  if (type === 'count') return parseNumberOption(name, text, { unit: 'levels', min: 0, integer: true, example: '1' });
  if (type === 'list') return splitList(text);
  return text;
}

function fromSpec(type: FieldType, where: string, value: unknown): unknown {
  const expected = { flag: 'true or false', count: 'a whole number', list: 'a list of strings', text: 'a string' }[type];
  const bad = (): never => {
    throw new UsageError(`${where}: expected ${expected}, got ${JSON.stringify(value)}`);
  };
  if (type === 'flag') return typeof value === 'boolean' ? value : bad();
  if (type === 'count') return Number.isSafeInteger(value) && (value as number) >= 0 ? value : bad();
  if (type === 'list') return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.flatMap(splitList) : bad();
  return typeof value === 'string' || typeof value === 'number' ? String(value) : bad();
}

/** The raw value of one field and where it came from, by precedence; undefined: the default. */
function rawValue(f: AnyField, cli: CliValues, spec: SpecValues | undefined, env: Record<string, string | undefined>): { raw: unknown; where: string } | undefined {
  const given = cli[f.key as FieldKey];
  if (given !== undefined) return { raw: fromCli(f, given), where: flagName(f) ?? f.key };
  const specValue = spec?.values[f.spec];
  if (spec && specValue !== undefined) {
    const where = `${spec.label}: ${f.spec}`;
    return { raw: fromSpec(f.type, where, specValue), where };
  }
  const text = f.env === undefined ? undefined : env[f.env];
  if (f.env !== undefined && text !== undefined) return { raw: fromEnv(f.type, f.env, text), where: f.env };
  return undefined;
}

/** A spec key for a field that is not an option of this kind of build is an error. */
function checkSpecKeys(kind: BuildKind, spec: SpecValues | undefined): void {
  for (const key of Object.keys(spec?.values ?? {})) {
    const f = fieldBySpecKey(key);
    if (f && !fieldApplies(f, kind)) throw new UsageError(`${spec!.label}: ${key} is not an option of ${kind === 'disk' ? 'disk' : 'ramdisk'} builds`);
  }
}

/** Validates everything and builds the request. */
export function buildRequest(
  kind: BuildKind,
  flavours: string[],
  cli: CliValues,
  env: Record<string, string | undefined>,
  cwd: string,
  spec?: SpecValues,
): BuildRequest {
  if (flavours.length === 0) {
    throw new UsageError('no flavours given', 'name at least an operating-system flavour, e.g. `disk-image-create debian vm`');
  }
  checkSpecKeys(kind, spec);
  const ctx: FieldContext = { kind, cwd, env };
  const values: Record<string, unknown> = {};
  const origins: Record<string, string> = {};
  for (const f of FIELDS as readonly AnyField[]) {
    const given = fieldApplies(f, kind) ? rawValue(f, cli, spec, env) : undefined;
    values[f.key] = given === undefined ? f.default(ctx) : f.parse(given.raw as never, given.where, ctx);
    if (given !== undefined) origins[f.key] = given.where;
  }
  const options = values as OptionValues;
  // DIB: with exactly one type, `-o foo.qcow2 -t qcow2` writes foo.qcow2, not foo.qcow2.qcow2.
  options.imageName = stripTypeSuffix(options.imageName, options.types);
  checkOutputFiles(outputFiles(kind, options.imageName, options.types), origins.imageName ?? '-o');
  const request: BuildRequest = { kind, flavours, origins, env, cwd, ...options };
  checkRules(request);
  return request;
}

/** The files a build writes (pure): NAME.EXT per format, or NAME.kernel and NAME.initramfs. */
function outputFiles(kind: BuildKind, imageName: string, types: readonly string[]): { path: string; folder: boolean }[] {
  if (kind === 'ramdisk') return ['kernel', 'initramfs'].map((ext) => ({ path: `${imageName}.${ext}`, folder: false }));
  return types.map((t) => ({ path: outputPath(imageName, t), folder: outputFormat(t).extension === 'oci' }));
}
