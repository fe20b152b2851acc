// The metadata file of a per-mount-point build, as Fuel's build wrote it (fuel-agent
// do_build_image): the images with their raw and container sizes and MD5s, the requested
// packages, the repositories; plus what kiln adds: each image's mount point, UUID and label,
// every installed package with its version (`all_packages`, fuel-agent's name for it), and the
// key of the inputs, so that an unchanged rebuild finds its images up to date. Pure.
import { parse as parseYaml, stringify } from 'yaml';
import type { FilesystemImagesRequest } from '../config/build-request.js';
import type { ContainerFacts } from './container.js';
import type { PlannedFilesystem } from './layout.js';

/** One image as the metadata lists it (Fuel's keys, then kiln's). */
export interface ImageRecord {
  raw_md5: string;
  raw_size: number;
  raw_name: null;
  container_name: string;
  container_md5: string;
  container_size: number;
  container: string;
  format: string;
  mount: string;
  uuid: string;
  label: string;
  container_sha256: string;
}

/** The whole metadata document. */
export interface FsMetadata {
  os: { name: string; codename: string; arch: string };
  packages: string[];
  all_packages: Record<string, string>;
  repos: (FilesystemImagesRequest['repos'][number] & { type: string; meta: null })[];
  images: ImageRecord[];
  /** The key of everything the images were built from (an unchanged rebuild finds it). */
  kiln: { inputs: string };
}

/** One image's record from its plan, file name and measured facts. */
export function imageRecord(fs: PlannedFilesystem, name: string, facts: ContainerFacts): ImageRecord {
  return {
    raw_md5: facts.rawMd5, raw_size: facts.rawSize, raw_name: null,
    container_name: name, container_md5: facts.containerMd5, container_size: facts.containerSize,
    container: fs.container, format: fs.format, mount: fs.mountPoint, uuid: fs.uuid, label: fs.label,
    container_sha256: facts.containerSha256,
  };
}

/** The metadata file's text (block-style YAML, one scalar per line: the provisioning ramdisk reads it with awk). */
export function metadataText(doc: FsMetadata): string {
  const repos = doc.repos.map((r) => ({ type: r.type, name: r.name, uri: r.uri, suite: r.suite, section: r.section, priority: r.priority, meta: r.meta }));
  const body = stringify({ ...doc, repos }, { lineWidth: 0, defaultStringType: 'PLAIN', defaultKeyType: 'PLAIN', sortMapEntries: false });
  return `# Images of a per-mount-point build, written by kiln (Fuel's metadata format, plus mount, uuid and label).\n${body}`;
}

/** The installed packages and their versions, from the image's /var/lib/dpkg/status. */
export function installedPackages(status: string): Record<string, string> {
  const packages: Record<string, string> = {};
  for (const stanza of status.split(/\n\s*\n/)) {
    const field = (name: string): string | undefined => new RegExp(`^${name}: (.*)$`, 'm').exec(stanza)?.[1]?.trim();
    const name = field('Package');
    const version = field('Version');
    if (name && version && /\binstalled$/.test(field('Status') ?? '')) {
      const arch = field('Architecture');
      packages[arch && arch !== 'all' && packages[name] !== undefined ? `${name}:${arch}` : name] = version;
    }
  }
  return Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The images a metadata text lists and the inputs key it was written for; undefined when unreadable. */
export function readMetadata(text: string): { inputs: string | undefined; images: { container_name: string; container_size: number; mount: string }[] } | undefined {
  try {
    const doc = parseYaml(text) as Partial<FsMetadata> | null;
    if (!doc || !Array.isArray(doc.images)) return undefined;
    return { inputs: doc.kiln?.inputs, images: doc.images.map((i) => ({ container_name: String(i.container_name), container_size: Number(i.container_size), mount: String(i.mount) })) };
  } catch {
    return undefined;
  }
}
