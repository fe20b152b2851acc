// NAME.manifest.json: what an image is made of and from, for people and tools that must answer
// "what is in it?" and "can you rebuild exactly this?": kiln's version and the inputs (flavours
// with a hash of their content, the environment, apt sources, SOURCE_DATE_EPOCH), the hooks
// that ran or were taken from the cache, the installed packages (name, version, architecture,
// source package, repository, license, which flavour asked for it or which hook installed it)
// and the outputs with their checksums. Pure: everything is read beforehand.
import type { BuildPlan } from '../plan/build-plan.js';
import type { BuildRecord } from './record.js';
import type { HookRef } from './dpkg-log.js';
import { KEY_NEUTRAL_VARIABLES } from '../cache/keys.js';
import { shapingOptions } from '../config/field-views.js';

/** Manifest layout version: bumped when a field changes meaning. */
const MANIFEST_VERSION = 1;

/** Environment variables whose values are never written into a manifest. */
const SECRET = /PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|CREDENTIAL|_KEY$|^(https?|no)_proxy$/i;

/** What the manifest needs besides the plan and the record. */
export interface ManifestInputs {
  kilnVersion: string;
  /** Flavour name → sha256 of its folder's content (flavour-hash.ts). */
  flavourHashes: ReadonlyMap<string, string>;
  /** Package name → flavours whose package-installs asked for it. */
  requestedBy: ReadonlyMap<string, string[]>;
  /** Output file → sha256. */
  outputHashes: ReadonlyMap<string, string>;
}

/** The value written for a variable: secrets (by name) replaced. */
export function manifestValue(name: string, value: string): string {
  return SECRET.test(name) && value !== '' ? '(not recorded: secret)' : value;
}

/** `install.d/05-x (flavour)`. */
export function hookLabel(ref: HookRef): string {
  return `${ref.phase}.d/${ref.hook} (${ref.flavour})`;
}

/** The manifest document. */
export function buildManifest(plan: BuildPlan, record: BuildRecord, inputs: ManifestInputs): Record<string, unknown> {
  const { request, sourceDate } = plan;
  const inventory = record.inventory;
  const ran = new Set(record.hooks.map((h) => `${h.phase}/${h.hook}`));
  return {
    manifestVersion: MANIFEST_VERSION,
    kiln: { version: inputs.kilnVersion },
    image: {
      name: request.imageName.split('/').pop(),
      kind: request.kind,
      architecture: request.arch,
      os: inventory?.osRelease.PRETTY_NAME ?? null,
    },
    outputs: record.outputs.map((o) => ({
      format: o.format, file: o.path.split('/').pop(), bytes: o.bytes, sha256: inputs.outputHashes.get(o.path) ?? null,
    })),
    inputs: {
      sourceDateEpoch: sourceDate.epoch,
      sourceDateEpochFrom: sourceDate.origin,
      // The options that shape the image (not the command line: where it wrote the outputs is no input).
      options: shapingOptions(request),
      flavours: plan.flavours.map((f) => ({ name: f.name, folder: f.path, origin: f.origin, sha256: inputs.flavourHashes.get(f.name) ?? null })),
      // Variables that never shape the image (where outputs and the cache go, tracing) are left out:
      // the manifest of the same image is the same file wherever it was written.
      environment: Object.fromEntries(plan.environment.filter((v) => !KEY_NEUTRAL_VARIABLES.has(v.name))
        .map((v) => [v.name, { value: manifestValue(v.name, v.value), from: v.source }])),
      aptSources: inventory?.aptSources.map(({ file, types, uris, suites, components }) => ({ file, types, uris, suites, components })) ?? [],
      packagesRequested: request.packages,
    },
    // Whether each hook ran in this build or came with a cached layer (times are in the build log:
    // they would make two manifests of one image differ).
    hooks: plan.phases.flatMap((phase) => phase.hooks.map((h) => ({
      phase: phase.dir, hook: h.name, flavour: h.flavour, where: phase.where, ran: ran.has(`${phase.name}/${h.name}`),
    }))),
    cachedPhases: record.cachedPhases.map((c) => c.phase),
    packages: (inventory?.packages ?? []).map((p) => ({
      name: p.name,
      version: p.version,
      architecture: p.architecture,
      source: p.source,
      sourceVersion: p.sourceVersion,
      repositories: p.repositories,
      license: p.license?.expression ?? null,
      automatic: p.automatic ?? false,
      requestedBy: inputs.requestedBy.get(p.name) ?? [],
      installedBy: record.installedBy.has(p.name) ? hookLabel(record.installedBy.get(p.name)!) : null,
    })),
  };
}
