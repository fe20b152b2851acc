// A loaded spec becomes the same BuildRequest the command line makes: its option values go
// through the command line's validation (config/options.ts), its variables are added with the
// spec named as their origin, and per-mount-point images get absolute paths. When a command line
// is given as well (`disk-image-create --spec FILE ...`), every option it sets wins over the
// spec, and the plan lists each such override.
import { isAbsolute, resolve } from 'node:path';
import { buildRequest, type RawOptions } from '../config/options.js';
import type { BuildKind, BuildRequest } from '../config/request.js';
import { UsageError } from '../errors.js';
import type { LoadedSpec } from './load.js';
import { flagOf } from './options.js';

/** Options given on a command line beside the spec. */
export interface CommandLineOverrides {
  /** Option values commander collected. */
  raw: RawOptions;
  /** The options the user actually typed (not defaults). */
  given: ReadonlySet<keyof RawOptions>;
  /** Flavours named on the command line (replace the spec's when any). */
  flavours: string[];
}

function shown(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Merges the command line into the spec's options; returns the notes the plan shows. */
export function mergeCommandLine(loaded: LoadedSpec, cli: CommandLineOverrides | undefined): { raw: RawOptions; flavours: string[]; notes: string[] } {
  const raw: RawOptions = { ...loaded.build.raw };
  let flavours = loaded.build.flavours;
  const notes: string[] = [];
  if (!cli) return { raw, flavours, notes };
  for (const key of cli.given) {
    const ours = cli.raw[key];
    const theirs = raw[key];
    if (theirs !== undefined && shown(theirs) !== shown(ours)) {
      notes.push(`spec ${loaded.source}: ${flagOf(key)} ${JSON.stringify(shown(ours))} from the command line wins over the spec's ${JSON.stringify(shown(theirs))}`);
    }
    (raw as Record<string, unknown>)[key] = ours;
  }
  if (cli.flavours.length) {
    notes.push(`spec ${loaded.source}: the flavours on the command line (${cli.flavours.join(' ')}) replace the spec's (${flavours.join(' ')})`);
    flavours = cli.flavours;
  }
  return { raw, flavours, notes };
}

/** Builds the request of a spec, as the command line would have. */
export function specRequest(
  loaded: LoadedSpec,
  options: { kind?: BuildKind; env: Record<string, string | undefined>; cwd: string; cli?: CommandLineOverrides },
): BuildRequest {
  const { build } = loaded;
  if (options.kind && build.kind !== options.kind) {
    throw new UsageError(`spec ${loaded.source} describes a ${build.kind} build`, build.kind === 'ramdisk' ? 'build it with kiln-build-image or ramdisk-image-create --spec' : 'build it with kiln-build-image or disk-image-create --spec');
  }
  const { raw, flavours, notes } = mergeCommandLine(loaded, options.cli);
  const typesGiven = raw.type !== undefined;
  const request = buildRequest(build.kind, flavours, raw, options.env, options.cwd);
  const source = `spec ${loaded.source}`;
  const specVariables = Object.entries(build.variables).map(([name, value]) => ({ name, value, source }));
  const result: BuildRequest = { ...request, specVariables, specNotes: notes };
  if (build.filesystemImages) {
    const absolute = (path: string): string => (isAbsolute(path) ? resolve(path) : resolve(options.cwd, path));
    result.types = typesGiven ? request.types : [];
    result.filesystemImages = {
      images: build.filesystemImages.images.map((i) => ({ mountPoint: i.mountPoint, format: i.format, container: i.container, path: absolute(i.file) })),
      metadataPath: absolute(build.filesystemImages.metadataFile),
      repos: build.repos,
    };
  }
  return result;
}
