// The container part of a plan (pure): the image name and tag the container outputs carry, and
// the image settings merged from the resolved flavours' container-config.yaml files. Every
// resolved flavour's file is checked even without a container output, so a mistake in one shows
// in the first dry run, not in the first container build.
import type { BuildRequest } from '../config/build-request.js';
import { mergeContainerConfigs, parseContainerConfig, type ContainerConfig } from '../flavours/container-config.js';
import type { FlavourMetadata } from '../flavours/metadata.js';
import { isContainerFormat } from '../outputs/container.js';
import { defaultImageReference, parseImageReference, type ImageReference } from '../outputs/image-reference.js';

/** What the container outputs of a build carry. */
export interface ContainerPlan {
  reference: ImageReference;
  settings: ContainerConfig;
  /** The files the settings came from. */
  sources: { flavour: string; file: string }[];
}

/** The container plan, or undefined when no container format is requested; warnings are pushed. */
export function planContainer(request: BuildRequest, flavours: readonly FlavourMetadata[], warnings: string[]): ContainerPlan | undefined {
  const files = flavours.flatMap((f) => (f.containerConfig ? [parseContainerConfig(f.name, f.containerConfig.path, f.containerConfig.text)] : []));
  const settings = mergeContainerConfigs(files);
  if (!request.types.some(isContainerFormat)) {
    if (request.dockerTarget !== undefined) warnings.push('--docker-target is ignored: no container output (-t oci, oci-archive or docker) was requested');
    return undefined;
  }
  const reference = request.dockerTarget === undefined ? defaultImageReference(request.imageName) : parseImageReference(request.dockerTarget);
  return { reference, settings, sources: files.map((f) => ({ flavour: f.flavour, file: f.file })) };
}

/** The container section of the text plan (pure). */
export function containerLines(container: ContainerPlan): string[] {
  const s = container.settings;
  const rows: [string, unknown][] = [
    ['entrypoint', s.entrypoint], ['cmd', s.cmd ?? (s.entrypoint ? undefined : 'the image\'s shell')], ['env', Object.keys(s.env).length ? s.env : undefined],
    ['labels', Object.keys(s.labels).length ? s.labels : undefined], ['working-dir', s.workingDir], ['user', s.user],
    ['exposed-ports', s.exposedPorts.length ? s.exposedPorts : undefined], ['volumes', s.volumes.length ? s.volumes : undefined], ['stop-signal', s.stopSignal],
  ];
  const from = container.sources.map((f) => f.file).join(', ') || 'no container-config.yaml';
  return [
    '', `Container image ${container.reference.familiar} (settings from ${from}):`,
    ...rows.filter(([, v]) => v !== undefined).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`),
  ];
}

/** The image creation time: SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
export function containerEpoch(sourceDateEpoch: number | undefined, nowMs: number): number {
  return sourceDateEpoch ?? Math.floor(nowMs / 1000);
}
