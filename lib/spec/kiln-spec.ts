// kiln's own build spec after schema validation: its types, the checks a schema cannot express
// (one image per mount point, "/" present, passwords given once, ...), and its translation into
// what the command line would have given: flavours, option values, and the variables and
// flavours that repositories, proxies and passwords need. Pure.
import { posix } from 'node:path';
import type { BuildKind } from '../config/build-request.js';
import { OPTION_ENV_NAMES } from '../config/field-views.js';
import { outputFormat } from '../outputs/registry.js';
import { specOptionValues } from './options.js';
import type { PathStep, SpecProblem } from './problems.js';
import type { CONTAINERS, FS_FORMATS } from './schema.js';

/** An apt repository, in Fuel's terms (kiln's spec uses the same). */
export interface RepoSpec {
  name: string;
  type?: 'deb';
  uri: string;
  suite: string;
  section: string;
  priority: number | null;
}

/** Proxies for the build's fetches (kiln's spec; Fuel's document nests them differently). */
export interface ProxySpec {
  http?: string;
  https?: string;
  ftp?: string;
  /** Hosts fetched without a proxy. */
  direct?: string[];
}

/** One filesystem image of `filesystem_images`. */
export interface FilesystemImageSpec {
  file: string;
  format: (typeof FS_FORMATS)[number];
  container?: (typeof CONTAINERS)[number];
}

/** A validated kiln build spec (option keys are the option table's spec keys). */
export interface KilnSpec {
  kind?: BuildKind;
  flavours: string[];
  environment?: Record<string, string | number | boolean>;
  blockDevice?: unknown;
  repos?: RepoSpec[];
  proxies?: ProxySpec;
  rootPassword?: string;
  hashedRootPassword?: string;
  allowUnsignedRepos?: boolean;
  filesystemImages?: Record<string, FilesystemImageSpec>;
  metadataFile?: string;
  packages?: string[];
  types?: string[];
  [option: string]: unknown;
}

/** What a spec asks for, in the command line's terms. */
export interface SpecBuild {
  kind: BuildKind;
  flavours: string[];
  /** Option values by spec key (checked by the option table like a command line's). */
  options: Record<string, unknown>;
  /** The spec's environment: read by options as the user's environment is (DIB_IMAGE_SIZE, ...). */
  environment: Record<string, string>;
  /** Variables the spec sets for the hooks, by name (none an option reads). */
  variables: Record<string, string>;
  /** Per-mount-point images, paths as written (relative to the working folder). */
  filesystemImages?: { images: { mountPoint: string; file: string; format: FilesystemImageSpec['format']; container: NonNullable<FilesystemImageSpec['container']> }[]; metadataFile: string };
  /** Repositories and requested packages, for the images' metadata. */
  repos: RepoSpec[];
}

/** Problems with mount points: not clean, or naming one mount point twice. */
export function mountPointProblems(mounts: readonly string[], at: PathStep[]): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const seen = new Map<string, string>();
  for (const mount of mounts) {
    if (!mount.startsWith('/')) continue; // the schema reports it
    const clean = posix.normalize(mount).replace(/(.)\/$/, '$1');
    const other = seen.get(clean);
    if (other !== undefined) {
      problems.push({ path: [...at, mount], message: `a second image for mount point ${clean} (also given as "${other}"); one image per mount point` });
    } else {
      seen.set(clean, mount);
      if (clean !== mount || mount.split('/').includes('..')) problems.push({ path: [...at, mount], message: `write the mount point as "${clean}"` });
    }
  }
  if (mounts.length && !seen.has('/')) problems.push({ path: at, message: 'needs an image for the root filesystem "/"' });
  return problems;
}

/** Checks a schema-valid kiln spec for what the schema cannot say. */
export function kilnSpecProblems(spec: KilnSpec): SpecProblem[] {
  const problems: SpecProblem[] = [];
  if (spec.rootPassword !== undefined && spec.hashedRootPassword !== undefined) {
    problems.push({ path: ['hashedRootPassword'], message: 'give rootPassword or hashedRootPassword, not both' });
  }
  problems.push(...repoProblems(spec.repos ?? [], ['repos']));
  const images = spec.filesystemImages;
  if (images) {
    problems.push(...mountPointProblems(Object.keys(images), ['filesystemImages']));
    const files = new Map<string, string>();
    for (const [mount, image] of Object.entries(images)) {
      const other = files.get(posix.normalize(image.file));
      if (other !== undefined) problems.push({ path: ['filesystemImages', mount, 'file'], message: `the same file as the image of ${other}` });
      files.set(posix.normalize(image.file), mount);
    }
    if (spec.kind === 'ramdisk') problems.push({ path: ['filesystemImages'], message: 'a ramdisk build makes a kernel and an initramfs, not filesystem images' });
    (spec.types ?? []).forEach((type, i) => {
      if (outputFormat(type).kind === 'image') {
        problems.push({ path: ['types', i], message: `"${type}" is a disk image; with filesystemImages only tree formats (tar, tgz, tar.zst, squashfs) can be added` });
      }
    });
  } else if (spec.metadataFile !== undefined) {
    problems.push({ path: ['metadataFile'], message: 'describes filesystemImages, which this spec does not have' });
  }
  return problems;
}

/** Repository names name files in /etc/apt: each must be used once. */
export function repoProblems(repos: readonly RepoSpec[], at: PathStep[]): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const names = new Map<string, number>();
  repos.forEach((repo, i) => {
    const first = names.get(repo.name.toLowerCase());
    if (first !== undefined) problems.push({ path: [...at, i, 'name'], message: `"${repo.name}" already names repository ${first}; give each its own name` });
    else names.set(repo.name.toLowerCase(), i);
  });
  return problems;
}

/** Fuel's rule: the metadata file is named after the root image, up to its first dot. */
export function defaultMetadataFile(rootFile: string): string {
  const base = posix.basename(rootFile).split('.')[0] || 'image';
  return posix.join(posix.dirname(rootFile), `${base}.yaml`);
}

/** Translates a checked spec into the command line's terms. */
export function kilnSpecToBuild(spec: KilnSpec): SpecBuild {
  const flavours = [...spec.flavours];
  const environment: Record<string, string> = {};
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.environment ?? {})) {
    (OPTION_ENV_NAMES.has(name) ? environment : variables)[name] = String(value);
  }
  if (spec.blockDevice !== undefined) {
    variables.DIB_BLOCK_DEVICE_CONFIG = typeof spec.blockDevice === 'string' ? spec.blockDevice : JSON.stringify(spec.blockDevice);
  }
  const addFlavour = (name: string): void => {
    if (!flavours.includes(name)) flavours.push(name);
  };
  if (spec.repos?.length) {
    Object.assign(variables, aptVariables(spec.repos));
    // The bootstrap mirror's suite is the release, unless the spec says otherwise.
    variables.DIB_RELEASE ??= spec.repos[0]!.suite;
    addFlavour('apt-sources');
  }
  if (spec.allowUnsignedRepos) variables.KILN_APT_ALLOW_UNSIGNED = '1';
  if (spec.proxies) Object.assign(variables, proxyVariables(spec.proxies));
  if (spec.rootPassword !== undefined) variables.KILN_ROOT_PASSWORD = spec.rootPassword;
  if (spec.hashedRootPassword !== undefined) variables.KILN_ROOT_PASSWORD_HASH = spec.hashedRootPassword;
  if (spec.rootPassword !== undefined || spec.hashedRootPassword !== undefined) addFlavour('root-password');
  const build: SpecBuild = { kind: spec.kind ?? 'disk', flavours, options: specOptionValues(spec), environment, variables, repos: spec.repos ?? [] };
  if (spec.filesystemImages) {
    const images = Object.entries(spec.filesystemImages).map(([mountPoint, image]) => ({ mountPoint, file: image.file, format: image.format, container: image.container ?? 'gzip' }));
    const root = images.find((i) => i.mountPoint === '/')!;
    build.filesystemImages = { images, metadataFile: spec.metadataFile ?? defaultMetadataFile(root.file) };
    addFlavour('provision-target');
  }
  return build;
}

/** One repository as a sources.list line: `deb [trusted=yes] URI SUITE COMPONENTS`. */
function sourcesLine(repo: RepoSpec): string {
  return ['deb', repo.uri, repo.suite, repo.section].filter((part) => part !== '').join(' ');
}

/**
 * The apt-sources flavour's input: every repository, one per line, `name|uri|suite|section|priority`
 * (fields never hold "|": the schema keeps them to names, URLs and words); and the debian
 * flavour's bootstrap mirror, the first repository, in diskimage-builder's DIB_APT_SOURCES_CONF.
 */
function aptVariables(repos: readonly RepoSpec[]): Record<string, string> {
  const first = repos[0]!;
  return {
    DIB_APT_SOURCES_CONF: `${first.name}:${sourcesLine(first)}`,
    KILN_APT_REPOS: repos.map((r) => [r.name, r.uri, r.suite, r.section, r.priority ?? ''].join('|')).join('\n'),
  };
}

/** Proxy variables for hooks and host tools; direct hosts in no_proxy and KILN_APT_DIRECT_HOSTS. */
function proxyVariables(proxies: ProxySpec): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const protocol of ['http', 'https', 'ftp'] as const) {
    const url = proxies[protocol];
    if (url) vars[`${protocol}_proxy`] = url;
  }
  const direct = proxies.direct ?? [];
  if (direct.length) {
    vars.no_proxy = direct.join(',');
    vars.KILN_APT_DIRECT_HOSTS = direct.join(' ');
  }
  return vars;
}
