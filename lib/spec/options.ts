// The build options a spec can set, each under its spec key, mapped onto the option values the
// command line collects (RawOptions): a spec and a command line go through the same validation
// (config/options.ts buildRequest) and give the same request. Pure.
import type { RawOptions } from '../config/options.js';
import { ARCHES } from '../config/options.js';
import { OUTPUT_FORMATS } from '../outputs/registry.js';

/** A JSON Schema fragment. */
export type JsonSchema = Record<string, unknown>;

/** One option of the spec. */
export interface SpecOption {
  /** Key in the spec document (stable: specs are stored by tools and services). */
  key: string;
  /** The command-line flag with the same meaning. */
  flag: string;
  /** The RawOptions field it sets. */
  raw: keyof RawOptions;
  schema: JsonSchema;
  /** Converts the validated spec value to what commander would have collected. */
  toRaw: (value: unknown) => unknown;
}

const size = (description: string): JsonSchema => ({
  description,
  type: ['string', 'number'],
  pattern: '^\\s*\\d+(\\.\\d+)?\\s*([KkMmGgTt]([Ii]?[Bb])?|[Bb])?\\s*$',
  errorText: 'a size such as "2G", "1500M" or "2GiB"',
});
const same = (value: unknown): unknown => value;
const text = (value: unknown): unknown => String(value);
const bool = (description: string): JsonSchema => ({ description, type: 'boolean' });
const str = (description: string): JsonSchema => ({ description, type: 'string', minLength: 1 });

/** Every option, in the order the schema documents them. */
export const SPEC_OPTIONS: readonly SpecOption[] = [
  { key: 'name', flag: '-o', raw: 'output', toRaw: same, schema: str('Output base name, may include a folder (default "image"); relative to the working folder.') },
  {
    key: 'types', flag: '-t', raw: 'type', toRaw: (v) => (v as string[]).join(','),
    schema: { description: 'Output formats (default ["qcow2"]).', type: 'array', minItems: 1, uniqueItems: true, items: { enum: OUTPUT_FORMATS.map((f) => f.name) } },
  },
  { key: 'arch', flag: '-a', raw: 'arch', toRaw: same, schema: { description: 'Target architecture (default amd64).', enum: [...ARCHES, 'x86_64', 'aarch64', 'ppc64le'] } },
  { key: 'packages', flag: '-p', raw: 'packages', toRaw: same, schema: { description: 'Extra packages installed after install.d.', type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9+.:=~_-]*$', errorText: 'a package name' } } },
  { key: 'trace', flag: '-x', raw: 'trace', toRaw: same, schema: { description: 'Trace hooks (set -x); 2 and more add detail.', type: 'integer', minimum: 0, maximum: 9 } },
  { key: 'skip_base', flag: '-n', raw: 'skipBase', toRaw: same, schema: bool('Do not add the "base" flavour.') },
  { key: 'uncompressed', flag: '-u', raw: 'uncompressed', toRaw: same, schema: bool('Do not compress qcow2 output.') },
  { key: 'checksum', flag: '--checksum', raw: 'checksum', toRaw: same, schema: bool('Write NAME.EXT.sha256 and NAME.EXT.md5 beside each output.') },
  { key: 'image_size', flag: '--image-size', raw: 'imageSize', toRaw: text, schema: size('Disk image size (bare number = GiB); default: from the built tree.') },
  { key: 'image_extra_size', flag: '--image-extra-size', raw: 'imageExtraSize', toRaw: text, schema: size('Free space added to the measured tree (bare number = MiB).') },
  { key: 'mkfs_options', flag: '--mkfs-options', raw: 'mkfsOptions', toRaw: same, schema: { description: 'Extra options for the root filesystem mkfs.', type: 'string' } },
  { key: 'qemu_img_options', flag: '--qemu-img-options', raw: 'qemuImgOptions', toRaw: same, schema: { description: 'Options for qemu-img convert -o.', type: 'string' } },
  { key: 'root_label', flag: '--root-label', raw: 'rootLabel', toRaw: same, schema: str('Root filesystem label.') },
  { key: 'boot_test', flag: '--boot-test', raw: 'bootTest', toRaw: same, schema: bool('Boot the finished image under QEMU and fail if it does not come up.') },
  { key: 'image_cache', flag: '--image-cache', raw: 'imageCache', toRaw: same, schema: str('kiln cache folder (default $DIB_IMAGE_CACHE or ~/.cache/kiln).') },
  { key: 'cache', flag: '--no-cache', raw: 'cache', toRaw: same, schema: bool('false: neither reuse nor store build-root layers in the cache.') },
  { key: 'offline', flag: '--offline', raw: 'offline', toRaw: same, schema: bool('Use cached downloads and base trees without refreshing them.') },
  { key: 'tmpfs', flag: '--no-tmpfs', raw: 'tmpfs', toRaw: same, schema: bool('false: build on disk even when there is memory for tmpfs.') },
  { key: 'min_tmpfs', flag: '--min-tmpfs', raw: 'minTmpfs', toRaw: text, schema: size('Memory needed for a tmpfs build is twice this (bare number = GiB).') },
  { key: 'logfile', flag: '--logfile', raw: 'logfile', toRaw: same, schema: str('Write the full build log here (default NAME.log).') },
  {
    key: 'flavours_path', flag: '--flavours-path', raw: 'flavoursPath', toRaw: (v) => (Array.isArray(v) ? v.join(':') : v),
    schema: { description: 'Folders searched for flavours before $FLAVOURS_PATH and $ELEMENTS_PATH.', type: ['string', 'array'], items: { type: 'string', minLength: 1 } },
  },
  { key: 'compress', flag: '--compress', raw: 'compress', toRaw: same, schema: { description: 'Initramfs compression (ramdisk builds).', enum: ['zstd', 'gzip'] } },
];

/** The spec option of a key, if it is one. */
export function specOption(key: string): SpecOption | undefined {
  return SPEC_OPTIONS.find((o) => o.key === key);
}

/** The flag of a RawOptions field, for messages ("-o wins over the spec's name"). */
export function flagOf(raw: keyof RawOptions): string {
  return SPEC_OPTIONS.find((o) => o.raw === raw)?.flag ?? String(raw);
}
