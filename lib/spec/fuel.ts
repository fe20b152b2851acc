// Fuel's dialect: the JSON document Fuel's image build script took as its first argument
// (fuel-agent's NailgunBuildImage driver read the same keys), translated into kiln's own spec.
// Fuel's behaviour is kept: each image is written to OUTPUT/<basename of its uri>, the metadata
// file is named after the root image up to its first dot, the first repository is the
// bootstrap mirror, and unsigned repositories are accepted (Fuel allowed unauthenticated
// packages). Pure.
import { posix } from 'node:path';
import type { KilnSpec, RepoSpec } from './kiln-spec.js';
import { defaultMetadataFile, mountPointProblems, repoProblems } from './kiln-spec.js';
import type { SpecProblem } from './problems.js';
import type { CONTAINERS, FS_FORMATS } from './schema.js';

/** Fuel's document after schema validation. */
export interface FuelDocument {
  image_data: Record<string, { uri: string; format: (typeof FS_FORMATS)[number]; container: (typeof CONTAINERS)[number] }>;
  output: string;
  repos: RepoSpec[];
  codename: string;
  packages?: string[];
  proxies?: { protocols?: { http?: string; https?: string; ftp?: string }; direct_repo_addr_list?: string[] };
  root_password?: string;
  hashed_root_password?: string;
}

/** Flavours of a Fuel build: Debian with a kernel and GRUB, ready to be provisioned. */
const FUEL_FLAVOURS = ['debian', 'bootloader'];

/** Keys only Fuel's dialect has: a document with one of them is read as Fuel's. */
const FUEL_ONLY_KEYS = ['image_data', 'codename'];

/** True when a document is in Fuel's dialect. */
export function isFuelDocument(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && FUEL_ONLY_KEYS.some((key) => key in value);
}

/** The file name an image gets: the basename of its uri's path. */
function imageFileName(uri: string): string {
  return posix.basename(new URL(uri).pathname);
}

/** What Fuel's document gets wrong that its schema cannot say. */
export function fuelProblems(doc: FuelDocument): SpecProblem[] {
  const problems = mountPointProblems(Object.keys(doc.image_data), ['image_data']);
  problems.push(...repoProblems(doc.repos, ['repos']));
  const names = new Map<string, string>();
  for (const [mount, image] of Object.entries(doc.image_data)) {
    const name = imageFileName(image.uri);
    const other = names.get(name);
    if (other !== undefined) problems.push({ path: ['image_data', mount, 'uri'], message: `names the file "${name}", as the image of ${other} does; each image needs its own file name` });
    names.set(name, mount);
  }
  const root = doc.image_data['/'];
  if (root) {
    const metadata = posix.basename(defaultMetadataFile(imageFileName(root.uri)));
    if (names.has(metadata)) problems.push({ path: ['image_data', names.get(metadata)!, 'uri'], message: `"${metadata}" is the metadata file's name (the root image's name up to its first dot, plus .yaml)` });
  }
  if (doc.root_password !== undefined && doc.hashed_root_password !== undefined) {
    problems.push({ path: ['hashed_root_password'], message: 'give root_password or hashed_root_password, not both' });
  }
  return problems;
}

/** Translates a checked Fuel document into kiln's spec. */
export function fuelToKilnSpec(doc: FuelDocument): KilnSpec {
  const images: NonNullable<KilnSpec['filesystemImages']> = {};
  for (const [mount, image] of Object.entries(doc.image_data)) {
    images[mount] = { file: posix.join(doc.output, imageFileName(image.uri)), format: image.format, container: image.container };
  }
  const rootFile = images['/']!.file;
  const spec: KilnSpec = {
    flavours: [...FUEL_FLAVOURS],
    output: defaultMetadataFile(rootFile).replace(/\.yaml$/, ''),
    environment: { DIB_RELEASE: doc.codename },
    repos: doc.repos,
    allowUnsignedRepos: true,
    filesystemImages: images,
  };
  if (doc.packages?.length) spec.packages = doc.packages;
  if (doc.proxies) {
    const direct = doc.proxies.direct_repo_addr_list ?? [];
    spec.proxies = { ...doc.proxies.protocols, ...(direct.length ? { direct } : {}) };
  }
  if (doc.root_password !== undefined) spec.rootPassword = doc.root_password;
  if (doc.hashed_root_password !== undefined) spec.hashedRootPassword = doc.hashed_root_password;
  return spec;
}
