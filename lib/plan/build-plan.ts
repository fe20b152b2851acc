// planBuild(): from a validated request and the flavours read from disk to the complete plan of
// a build: which flavours, which hooks in which order, the environment with origins, the
// outputs and every warning. Pure: everything it needs was read beforehand (plan/load-flavours.ts).
import { dirname } from 'node:path';
import { optionVariables } from '../config/field-views.js';
import type { BuildRequest } from '../config/build-request.js';
import type { Hook } from '../flavours/hooks.js';
import { mergePhaseHooks, compareHookNames } from '../flavours/hooks.js';
import type { FlavourMetadata } from '../flavours/metadata.js';
import { refuseProblemFlavours, unusedFlavourWarnings } from '../flavours/problems.js';
import { defaultOsNote, expandRequest, resolveFlavours } from '../flavours/resolve.js';
import { builtInFlavoursDir, elementsPathValue, type SearchPathEntry } from '../flavours/search-path.js';
import { outputPath } from '../outputs/registry.js';
import { dibVariables } from './dib-environment.js';
import { chooseInstallTypes } from '../flavours/install-types.js';
import { exportedValues, mergeEnvironment, orderEnvFiles, userVariables, type EnvFile, type EnvVar } from './hook-environment.js';
import { PHASES, type PhaseWhere } from '../flavours/phases.js';
import { planContainer, type ContainerPlan } from './container-plan.js';

/** A resolved flavour of the build. */
export interface PlannedFlavour {
  name: string;
  path: string;
  /** Search-path origin (`built-in`, `ELEMENTS_PATH`, ...). */
  origin: string;
}

/** One phase of the plan with its hooks in run order. */
export interface PlannedPhase {
  name: string;
  dir: string;
  where: PhaseWhere;
  hooks: Hook[];
}

/** A ramdisk extra (binary-deps list or init fragment) of one flavour. */
export interface RamdiskPart {
  flavour: string;
  name: string;
  path: string;
}

/** The complete plan of a build. */
export interface BuildPlan {
  request: BuildRequest;
  flavours: PlannedFlavour[];
  phases: PlannedPhase[];
  environment: EnvVar[];
  /** environment.d files in sourcing order. */
  envFiles: EnvFile[];
  outputs: { format: string; path: string }[];
  warnings: string[];
  searchPath: SearchPathEntry[];
  /** Ramdisk builds: binary-deps files and init fragments, in hook order. */
  ramdisk: { binaryDeps: RamdiskPart[]; init: RamdiskPart[] };
  /** Cache folders bound into the chroot during chroot phases. */
  cacheMounts: { flavour: string; cacheDir: string; imagePath: string }[];
  /** Hooks declared always-run (`install.d/50-x`), never taken from the layer cache. */
  alwaysRun: string[];
  /** Host files flavours declare their hooks read (`cache-inputs`), hashed into cache keys. */
  cacheInputs: string[];
  /** Flavours with host-phase hooks but no `cache-inputs` file: what those hooks read on the
   * host is invisible to the layer keys, and the plan says so when it reuses their work. */
  undeclaredHostReaders: string[];
  /** Container outputs: image name, tag and settings (undefined without a container format). */
  container?: ContainerPlan | undefined;
}

/** What planning needs besides the request. */
export interface PlanInputs {
  /** Every flavour found on the search path, read. */
  catalogue: ReadonlyMap<string, FlavourMetadata & { origin: string }>;
  /** environment.d files of every flavour, classified (only resolved flavours' are used). */
  envFiles: ReadonlyMap<string, EnvFile[]>;
  searchPath: SearchPathEntry[];
  /** Warnings from discovery (overrides). */
  warnings: string[];
  /** Flavours put in front of the user's (ramdisk builds: `ramdisk`). */
  prepend?: string[];
}

/** Plans a build. Throws UsageError for anything the user must change. */
export function planBuild(request: BuildRequest, inputs: PlanInputs): BuildPlan {
  const requested = expandRequest(request.flavours, {
    skipBase: request.skipBase,
    known: new Set(inputs.catalogue.keys()),
    arch: request.arch,
    prepend: inputs.prepend ?? [],
  });
  refuseProblemFlavours(inputs.catalogue, requested);
  const resolution = resolveFlavours(requested, inputs.catalogue, { searched: inputs.searchPath.map((e) => e.dir) });
  refuseProblemFlavours(inputs.catalogue, resolution.names);
  const flavours = resolution.names.map((name) => inputs.catalogue.get(name)!);
  const warnings = [
    ...(resolution.defaultOs ? [defaultOsNote(resolution.defaultOs)] : []),
    ...inputs.warnings,
    ...unusedFlavourWarnings(inputs.catalogue, resolution.names),
  ];
  const envFiles = orderEnvFiles(flavours.flatMap((f) => inputs.envFiles.get(f.name) ?? []));
  const user = [...userVariables(request.env), ...(request.specVariables ?? [])];
  const environment = mergeEnvironment(envFiles, user, kilnVariables(request, resolution.names, inputs.searchPath, flavours));
  const installTypes = resolution.names.includes('install-types') ? chooseInstallTypes(flavours, exportedValues(environment)) : [];
  const phases = PHASES.map((spec) => {
    const entries = (f: FlavourMetadata) => [
      ...(f.phaseEntries.get(spec.dir) ?? []),
      ...(spec.dir === 'install.d' ? installTypes.filter((c) => c.flavour === f.name).flatMap((c) => c.entries) : []),
    ];
    const merged = mergePhaseHooks(spec.dir, flavours.map((f) => ({ flavour: f.name, entries: entries(f) })));
    warnings.push(...merged.warnings);
    return { name: spec.name, dir: spec.dir, where: spec.where, hooks: merged.hooks };
  });
  return {
    request,
    flavours: flavours.map((f) => ({ name: f.name, path: f.path, origin: f.origin })),
    phases,
    environment,
    envFiles,
    outputs: plannedOutputs(request),
    warnings: [...(request.specNotes ?? []), ...warnings],
    searchPath: inputs.searchPath,
    ramdisk: ramdiskParts(flavours),
    cacheMounts: flavours.flatMap((f) => f.cacheMounts.map((m) => ({ flavour: f.name, ...m }))),
    alwaysRun: flavours.flatMap((f) => f.alwaysRun),
    cacheInputs: flavours.flatMap((f) => f.cacheInputs),
    undeclaredHostReaders: flavours.filter((f) => !f.cacheInputsDeclared).map((f) => f.name),
    container: planContainer(request, flavours, warnings),
  };
}

function plannedOutputs(request: BuildRequest): { format: string; path: string }[] {
  if (request.kind === 'ramdisk') {
    return [
      { format: 'kernel', path: `${request.imageName}.kernel` },
      { format: 'initramfs', path: `${request.imageName}.initramfs` },
    ];
  }
  const outputs = request.types.map((format) => ({ format, path: outputPath(request.imageName, format) }));
  const images = request.filesystemImages;
  if (!images) return outputs;
  return [
    ...outputs,
    ...images.images.map((i) => ({ format: `fs-image:${i.mountPoint}`, path: i.path })),
    { format: 'fs-metadata', path: images.metadataPath },
  ];
}

function ramdiskParts(flavours: readonly FlavourMetadata[]): BuildPlan['ramdisk'] {
  const collect = (pick: (f: FlavourMetadata) => FlavourMetadata['initFiles']): RamdiskPart[] =>
    flavours
      .flatMap((f) => pick(f).filter((e) => e.isFile).map((e) => ({ flavour: f.name, name: e.name, path: e.path })))
      .sort((a, b) => compareHookNames(a.name, b.name) || compareHookNames(a.flavour, b.flavour));
  return { binaryDeps: collect((f) => f.binaryDepsFiles), init: collect((f) => f.initFiles) };
}

function kilnVariables(
  request: BuildRequest,
  names: readonly string[],
  searchPath: SearchPathEntry[],
  flavours: readonly FlavourMetadata[],
): EnvVar[] {
  const kiln = (name: string, value: string): EnvVar => ({ name, value, source: 'kiln' });
  return [
    ...dibVariables(request),
    ...optionVariables(request),
    kiln('IMAGE_ELEMENT', names.join(' ')),
    kiln('IMAGE_ELEMENT_YAML', flavours.map((f) => `${f.name}: ${f.path}`).join('\n')),
    kiln('ELEMENTS_PATH', elementsPathValue(searchPath)),
    // The kiln that runs the build (kiln-builder installs it into the image).
    kiln('KILN_HOME', dirname(builtInFlavoursDir())),
  ];
}
