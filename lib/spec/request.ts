// A loaded spec becomes the same BuildRequest the command line makes: its options go through the
// option table like command-line values (config/parse-options.ts buildRequest), its variables are added
// with the spec named as their origin, and per-mount-point images get absolute paths. When a
// command line is given as well (`disk-image-create --spec FILE ...`), every option it sets wins
// over the spec (the table's precedence), and the plan lists each such override.
import { isAbsolute, resolve } from 'node:path';
import { flagName, type AnyField } from '../config/field-spec.js';
import { FIELDS } from '../config/fields.js';
import { buildRequest, type CliValues } from '../config/parse-options.js';
import type { BuildKind, BuildRequest } from '../config/build-request.js';
import { UsageError } from '../errors.js';
import type { LoadedSpec } from './load.js';

/** What a command line gives beside the spec. */
export interface CommandLineOverrides {
  /** Values of the options the user typed, by field key. */
  values: CliValues;
  /** Flavours named on the command line (replace the spec's when any). */
  flavours: string[];
}

function shown(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** The plan's notes for every option and the flavours the command line takes over from the spec. */
function overrideNotes(loaded: LoadedSpec, cli: CommandLineOverrides): string[] {
  const notes: string[] = [];
  for (const f of FIELDS as readonly AnyField[]) {
    const ours = cli.values[f.key as keyof CliValues];
    const theirs = loaded.build.options[f.spec];
    if (ours === undefined || theirs === undefined) continue;
    notes.push(`spec ${loaded.source}: ${flagName(f)} ${JSON.stringify(shown(ours))} from the command line wins over the spec's ${f.spec} ${JSON.stringify(shown(theirs))}`);
  }
  if (cli.flavours.length) {
    notes.push(`spec ${loaded.source}: the flavours on the command line (${cli.flavours.join(' ')}) replace the spec's (${loaded.build.flavours.join(' ')})`);
  }
  return notes;
}

/** Builds the request of a spec, as the command line would have. */
export function specRequest(
  loaded: LoadedSpec,
  options: { kind?: BuildKind; env: Record<string, string | undefined>; cwd: string; cli?: CommandLineOverrides },
): BuildRequest {
  const { build } = loaded;
  if (options.kind && build.kind !== options.kind) {
    const command = build.kind === 'ramdisk' ? 'ramdisk-image-create --spec' : 'disk-image-create --spec';
    throw new UsageError(`spec ${loaded.source} describes a ${build.kind} build`, `build it with kiln-build-image or ${command}`);
  }
  const cli = options.cli ?? { values: {}, flavours: [] };
  const flavours = cli.flavours.length ? cli.flavours : build.flavours;
  const env = { ...options.env, ...build.environment };
  const source = `spec ${loaded.source}`;
  const request = buildRequest(build.kind, flavours, cli.values, env, options.cwd, { values: build.options, label: source });
  const specVariables = Object.entries(build.variables).map(([name, value]) => ({ name, value, source }));
  const result: BuildRequest = { ...request, specVariables, specNotes: overrideNotes(loaded, cli) };
  if (build.filesystemImages) {
    const absolute = (path: string): string => (isAbsolute(path) ? resolve(path) : resolve(options.cwd, path));
    if (request.origins.types === undefined) result.types = [];
    result.filesystemImages = {
      images: build.filesystemImages.images.map((i) => ({ mountPoint: i.mountPoint, format: i.format, container: i.container, path: absolute(i.file) })),
      metadataPath: absolute(build.filesystemImages.metadataFile),
      repos: build.repos,
    };
  }
  return result;
}

