// The output formats kiln writes: image formats are converted from the raw disk image, tree
// formats are archived from the image root. Pure: names, file names and the tools each needs.
import { UsageError } from '../errors.js';
import { closeNames } from '../flavours/suggest.js';

/** Where a format is made from. */
export type OutputKind = 'image' | 'tree';

/** One output format. */
export interface OutputFormat {
  /** Name given to -t. */
  name: string;
  /** `image`: converted from the raw disk image; `tree`: archived from the root directory. */
  kind: OutputKind;
  /** File name extension without the dot (`NAME.<extension>`). */
  extension: string;
  /** Host programs it always needs. */
  tools: string[];
  /** Groups of host programs of which one is enough, the preferred one first. */
  anyOf: string[][];
  /** One line for help texts. */
  description: string;
}

/** Every format, in the order help lists them. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  { name: 'qcow2', kind: 'image', extension: 'qcow2', tools: ['qemu-img'], anyOf: [], description: 'QEMU/KVM, OpenStack (zstd-compressed unless -u)' },
  { name: 'raw', kind: 'image', extension: 'raw', tools: [], anyOf: [], description: 'plain sparse disk image' },
  { name: 'vhd', kind: 'image', extension: 'vhd', tools: ['qemu-img'], anyOf: [], description: 'Azure, Hyper-V, Xen (fixed VHD, sparse)' },
  { name: 'vmdk', kind: 'image', extension: 'vmdk', tools: ['qemu-img'], anyOf: [], description: 'VMware (streamOptimized; monolithicSparse with -u)' },
  { name: 'vdi', kind: 'image', extension: 'vdi', tools: ['qemu-img'], anyOf: [], description: 'VirtualBox' },
  { name: 'tar', kind: 'tree', extension: 'tar', tools: ['tar'], anyOf: [], description: 'root filesystem tarball' },
  { name: 'tgz', kind: 'tree', extension: 'tgz', tools: ['tar'], anyOf: [['pigz', 'gzip']], description: 'gzip-compressed tarball' },
  { name: 'tar.zst', kind: 'tree', extension: 'tar.zst', tools: ['tar', 'zstd'], anyOf: [], description: 'zstd-compressed tarball' },
  { name: 'squashfs', kind: 'tree', extension: 'squashfs', tools: ['mksquashfs'], anyOf: [], description: 'compressed read-only filesystem' },
  { name: 'oci', kind: 'tree', extension: 'oci', tools: ['tar'], anyOf: [], description: 'OCI image layout folder (umoci, skopeo oci:)' },
  { name: 'oci-archive', kind: 'tree', extension: 'oci.tar', tools: ['tar'], anyOf: [], description: 'OCI image layout as one tar (podman load, skopeo oci-archive:)' },
  { name: 'docker', kind: 'tree', extension: 'docker.tar', tools: ['tar'], anyOf: [], description: 'container image archive for docker load (--docker-target NAME:TAG)' },
];

const NAMES = OUTPUT_FORMATS.map((f) => f.name);

/** Looks a format up by name; unknown names are a UsageError listing the valid ones. */
export function outputFormat(name: string): OutputFormat {
  const format = OUTPUT_FORMATS.find((f) => f.name === name);
  if (format) return format;
  const close = closeNames(name, NAMES);
  const suggestion = close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)` : '';
  throw new UsageError(`unknown output type "${name}"${suggestion}; valid types: ${NAMES.join(', ')}`);
}

/** Parses `-t qcow2,tar`: known names only, duplicates dropped, order kept. */
export function parseOutputTypes(text: string, where = '-t'): string[] {
  const names = text.split(',').map((t) => t.trim()).filter(Boolean);
  if (!names.length) throw new UsageError(`${where} needs at least one output type; valid types: ${NAMES.join(', ')}`);
  for (const name of names) outputFormat(name);
  return [...new Set(names)];
}

/** DIB: with exactly one type, a trailing `.<type>` on -o is dropped (`-o foo.qcow2 -t qcow2` → foo). */
export function stripTypeSuffix(name: string, types: readonly string[]): string {
  if (types.length !== 1) return name;
  const suffix = `.${types[0]!}`;
  return name.endsWith(suffix) && name.length > suffix.length ? name.slice(0, -suffix.length) : name;
}

/** The file a format is written to: `NAME.<extension>`. */
export function outputPath(imageName: string, format: string): string {
  return `${imageName}.${outputFormat(format).extension}`;
}

/** The requested types of one kind, in request order. */
export function typesOfKind(types: readonly string[], kind: OutputKind): string[] {
  return types.filter((t) => outputFormat(t).kind === kind);
}
