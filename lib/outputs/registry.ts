// The output formats kiln writes: from the raw disk image (image formats) or from the image root
// (tree formats). Pure.
import { UsageError } from '../errors.js';

/** One output format. */
export interface OutputFormat {
  /** Name given to -t. */
  name: string;
  /** Whether it is made from the raw disk image or from the root tree. */
  kind: 'image' | 'tree';
  /** File name extension (without the dot). */
  extension: string;
  /** Host programs it needs. */
  tools: string[];
}

/** Every format, in the order help lists them. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = [
  { name: 'qcow2', kind: 'image', extension: 'qcow2', tools: ['qemu-img'] },
  { name: 'raw', kind: 'image', extension: 'raw', tools: [] },
  { name: 'vhd', kind: 'image', extension: 'vhd', tools: ['qemu-img'] },
  { name: 'vmdk', kind: 'image', extension: 'vmdk', tools: ['qemu-img'] },
  { name: 'vdi', kind: 'image', extension: 'vdi', tools: ['qemu-img'] },
  { name: 'tar', kind: 'tree', extension: 'tar', tools: ['tar'] },
  { name: 'tgz', kind: 'tree', extension: 'tgz', tools: ['tar', 'gzip'] },
  { name: 'tar.zst', kind: 'tree', extension: 'tar.zst', tools: ['tar', 'zstd'] },
  { name: 'squashfs', kind: 'tree', extension: 'squashfs', tools: ['mksquashfs'] },
];

/** Looks a format up by name. */
export function outputFormat(name: string): OutputFormat {
  const format = OUTPUT_FORMATS.find((f) => f.name === name);
  if (!format) throw new UsageError(`unknown output type "${name}"`, `use one or more of ${OUTPUT_FORMATS.map((f) => f.name).join(', ')}`);
  return format;
}

/** Parses `-t qcow2,tar` (duplicates dropped, order kept). */
export function parseOutputTypes(text: string): string[] {
  const names = text.split(',').map((t) => t.trim()).filter(Boolean);
  if (!names.length) throw new UsageError('-t needs at least one output type', `use one or more of ${OUTPUT_FORMATS.map((f) => f.name).join(', ')}`);
  for (const name of names) outputFormat(name);
  return [...new Set(names)];
}

/** DIB: with exactly one type, a trailing `.<type>` on -o is dropped (`-o foo.qcow2` → foo.qcow2). */
export function stripTypeSuffix(name: string, types: readonly string[]): string {
  if (types.length !== 1) return name;
  const suffix = `.${outputFormat(types[0]!).extension}`;
  return name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
}

/** The file a format is written to. */
export function outputPath(imageName: string, format: string): string {
  return `${imageName}.${outputFormat(format).extension}`;
}
