// The JSON documents of a container image (pure): the image config (what runs, its environment
// and labels, the layers' diff_ids), the manifest, the OCI index of an image layout, and the
// manifest.json and repositories files of a `docker save` archive. Written compactly with keys in
// a fixed order, so the same inputs give the same bytes and digests.
import { createHash } from 'node:crypto';
import type { ContainerConfig } from '../flavours/container-config.js';
import type { ImageReference } from './image-reference.js';

/** OCI media types kiln writes. */
export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** A content descriptor: what a blob is, its digest and size. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** The platform an image runs on, in Go's names. */
export interface Platform {
  architecture: string;
  os: 'linux';
  variant?: string;
}

/** PATH of processes in the container unless a flavour sets one (Docker's default). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const PLATFORMS: Record<string, Omit<Platform, 'os'>> = {
  amd64: { architecture: 'amd64' },
  i386: { architecture: '386' },
  arm64: { architecture: 'arm64', variant: 'v8' },
  armhf: { architecture: 'arm', variant: 'v7' },
  ppc64el: { architecture: 'ppc64le' },
  s390x: { architecture: 's390x' },
};

/** The OCI platform of a Debian architecture name (amd64, arm64, armhf, ...). */
export function ociPlatform(debianArch: string): Platform {
  const platform = PLATFORMS[debianArch] ?? { architecture: debianArch };
  return { architecture: platform.architecture, os: 'linux', ...(platform.variant ? { variant: platform.variant } : {}) };
}

/** `sha256:<hex>` of some bytes. */
function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** A document as the bytes kiln stores (compact JSON). */
export function documentBytes(document: unknown): Buffer {
  return Buffer.from(JSON.stringify(document), 'utf8');
}

/** The descriptor of a stored document. */
export function describe(mediaType: string, bytes: Buffer): Descriptor {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length };
}

/** What the image config is made of. */
export interface ImageConfigInput {
  settings: ContainerConfig;
  /** Debian architecture name. */
  arch: string;
  /** RFC 3339 creation time (from SOURCE_DATE_EPOCH when set). */
  created: string;
  /** `sha256:` digests of the uncompressed layers, bottom first. */
  diffIds: string[];
  /** CMD when the flavours set neither entrypoint nor cmd (the image's shell). */
  defaultCmd: string[];
  /** What made the layer, for `docker history`. */
  createdBy: string;
}

function environment(env: Record<string, string>): string[] {
  const withPath = { PATH: env.PATH ?? DEFAULT_PATH, ...env };
  return Object.keys(withPath).sort((a, b) => (a === 'PATH' ? -1 : b === 'PATH' ? 1 : a < b ? -1 : a > b ? 1 : 0)).map((k) => `${k}=${withPath[k as keyof typeof withPath]}`);
}

const asSet = (items: readonly string[]): Record<string, Record<string, never>> | undefined =>
  items.length ? Object.fromEntries(items.map((i) => [i, {}])) : undefined;

/** The image config document (OCI image-spec config.md; Docker reads the same fields). */
export function imageConfig(input: ImageConfigInput): Record<string, unknown> {
  const s = input.settings;
  const cmd = s.cmd ?? (s.entrypoint ? undefined : input.defaultCmd);
  const labels = Object.keys(s.labels).length ? Object.fromEntries(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1))) : undefined;
  const config = {
    User: s.user, ExposedPorts: asSet(s.exposedPorts), Env: environment(s.env), Entrypoint: s.entrypoint, Cmd: cmd,
    Volumes: asSet(s.volumes), WorkingDir: s.workingDir, Labels: labels, StopSignal: s.stopSignal,
  };
  const platform = ociPlatform(input.arch);
  return {
    created: input.created,
    ...platform,
    config: Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)),
    rootfs: { type: 'layers', diff_ids: input.diffIds },
    history: [{ created: input.created, created_by: input.createdBy }],
  };
}

/** The image manifest: one config, the layers bottom first. */
export function imageManifest(config: Descriptor, layers: readonly Descriptor[]): Record<string, unknown> {
  return { schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, config, layers };
}

/**
 * index.json of an image layout. `org.opencontainers.image.ref.name` carries the tag (what
 * `skopeo ... oci:DIR:TAG` and `umoci --image DIR:TAG` look up), `io.containerd.image.name` the
 * full name (what `docker load` of an OCI archive and containerd use), as `docker save` writes.
 */
export function imageIndex(manifest: Descriptor, reference: ImageReference, arch: string): Record<string, unknown> {
  const annotations = { 'io.containerd.image.name': reference.canonical, 'org.opencontainers.image.ref.name': reference.tag };
  return { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [{ ...manifest, annotations, platform: ociPlatform(arch) }] };
}

/** A blob's path inside a layout: `blobs/sha256/<hex>`. */
export function blobPath(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return `blobs/${algorithm!}/${hex!}`;
}

/** manifest.json of a docker archive: what `docker load` reads (config, tags, layer files). */
export function dockerManifest(config: Descriptor, layers: readonly Descriptor[], reference: ImageReference): unknown[] {
  return [{ Config: blobPath(config.digest), RepoTags: [reference.familiar], Layers: layers.map((l) => blobPath(l.digest)) }];
}

/** The legacy `repositories` file: repository → tag → top layer id. */
export function dockerRepositories(reference: ImageReference, topLayer: Descriptor): Record<string, Record<string, string>> {
  return { [reference.repository]: { [reference.tag]: topLayer.digest.split(':')[1]! } };
}

/** The `oci-layout` file every layout starts with. */
export const OCI_LAYOUT = { imageLayoutVersion: '1.0.0' };
