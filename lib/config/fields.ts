// The option table: every option of disk-image-create and ramdisk-image-create, declared once.
// The commander options, the BuildRequest type and its values, the JSON build-spec keys, the
// variables hooks get and the cache keys are all derived from it, so adding an option is adding
// an entry here (see lib/config/field-spec.ts for what each property means). Order = help order.
// Precedence for a value: the command-line flag, then the build spec, then the environment
// variable, then the default. Pure.
import { availableParallelism, homedir } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { resolveHostPath, resolveParent } from '../resources/safe-path.js';
import { parseLogFile, parseOutputName } from './output-paths.js';
import { parseImageReference } from '../outputs/image-reference.js';
import { checkQemuImgOptions } from '../outputs/qemu-img.js';
import { OUTPUT_FORMATS, parseOutputTypes } from '../outputs/registry.js';
import { field, type FieldContext, type FieldValues } from './field-spec.js';
import { parseArch, parseNumberOption, parseSizeOption, splitList } from './values.js';

/** Default of KILN_CHECKPOINT_SECONDS: a hook this slow is worth a layer of its own. */
const DEFAULT_CHECKPOINT_SECONDS = 8;
/** Default of KILN_CACHE_MAX_AGE_DAYS: older layers are not reused (the mirror moved on). */
const DEFAULT_CACHE_MAX_AGE_DAYS = 7;
/** Default of KILN_CACHE_MAX_SIZE, in GiB: what layers and cached outputs may take on disk. */
const DEFAULT_CACHE_MAX_GIB = 40;

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A size below `min` bytes is refused (an image of a few bytes holds no partition table). */
function atLeast(where: string, raw: string, bytes: number, min: number): number {
  if (bytes < min) throw new UsageError(`${where} "${raw}" is ${bytes} bytes, less than ${min / MiB} MiB`, 'a disk image needs room for a partition table and a filesystem: give e.g. 2G');
  return bytes;
}
// Paths are resolved once, to real paths (safe-path.ts, output-paths.ts): outputs, their
// staging folder and lock, the mount table and the cache checks must all see the same path.
const folder = (raw: string, _where: string, ctx: FieldContext): string => resolveHostPath(raw, ctx.cwd);
const text = (raw: string): string => raw;
const same = <T>(raw: T): T => raw;
const unset = <T>() => (): T | undefined => undefined;
const no = (): boolean => false;
const yesIf = (on: boolean): string | undefined => (on ? '1' : undefined);

function notEmpty(raw: string, where: string): string {
  if (raw.trim() === '') throw new UsageError(`${where} is empty`, `give ${where} a value, or leave it out`);
  return raw;
}

/** Where kiln keeps its cache when neither --image-cache nor DIB_IMAGE_CACHE says. */
function defaultCacheDir(ctx: FieldContext): string {
  const home = ctx.env.HOME ?? homedir();
  return resolveHostPath(resolve(ctx.env.XDG_CACHE_HOME ?? resolve(home, '.cache'), 'kiln'), ctx.cwd);
}

function outputTypes(raw: string[], where: string, ctx: FieldContext): string[] {
  if (ctx.kind === 'ramdisk') throw new UsageError(`${where} is for disk-image-create; ramdisk-image-create writes NAME.kernel and NAME.initramfs`);
  return parseOutputTypes(raw.join(','), where);
}

function compression(raw: string, where: string): 'zstd' | 'gzip' {
  if (raw !== 'zstd' && raw !== 'gzip') throw new UsageError(`${where} "${raw}" is not supported`, `use ${where} zstd (default) or ${where} gzip`);
  return raw;
}

/** Reads an ext4 journal size in MiB (DIB_JOURNAL_SIZE). */
export function parseJournalMiB(raw: string, where: string): number {
  return parseNumberOption(where, raw, { unit: 'MiB', min: 1, integer: true, example: '64' });
}

/** Default memory of the build VM, MiB. */
const DEFAULT_VM_MEMORY_MIB = 2048;

function parseVmMemory(raw: string, where: string): number {
  const mib = Math.floor(parseSizeOption(where, raw, 'GiB') / 1048576);
  if (mib < 512) throw new UsageError(`${where} "${raw}" is too small`, 'the build VM needs at least 512M; 2G (the default) or more is comfortable');
  return mib;
}

function vmAccel(raw: string, where: string): 'auto' | 'kvm' | 'tcg' {
  if (raw !== 'auto' && raw !== 'kvm' && raw !== 'tcg') throw new UsageError(`${where} "${raw}" is not an accelerator`, `use ${where}=auto (default), kvm or tcg`);
  return raw;
}

/** Every option, in help order. */
export const FIELDS = [
  field({
    key: 'imageName', spec: 'output', type: 'text', cli: { flags: '-o, --output <name>' },
    help: 'output base name, may include a folder (default "image")',
    default: (ctx) => resolveParent('image', ctx.cwd), parse: parseOutputName,
    cache: 'none', hook: { name: 'IMAGE_NAME', value: same }, examples: ['image-one', 'image-two'],
  }),
  field({
    key: 'types', spec: 'types', type: 'list', cli: { flags: '-t, --type <types>', commands: ['disk'] },
    help: `comma-separated output formats: ${OUTPUT_FORMATS.map((f) => f.name).join(', ')} (default qcow2)`,
    default: (ctx) => (ctx.kind === 'disk' ? ['qcow2'] : []), parse: outputTypes,
    cache: 'outputs', hook: { name: 'IMAGE_TYPE', value: (types) => types[0] }, examples: [['qcow2'], ['raw']],
  }),
  field({
    key: 'arch', spec: 'arch', type: 'text', cli: { flags: '-a, --arch <arch>' },
    help: 'target architecture (amd64, i386, arm64, ...) (default amd64)',
    default: () => 'amd64', parse: (raw, where) => parseArch(raw, where),
    cache: 'tree', hook: { name: 'ARCH', value: same }, examples: ['amd64', 'i386'],
  }),
  field({
    key: 'debugTrace', spec: 'trace', type: 'count', cli: { flags: '-x, --trace' }, env: 'DIB_DEBUG_TRACE',
    help: 'trace hook scripts (set -x); repeat for more detail (sets DIB_DEBUG_TRACE)',
    default: () => 0, parse: same,
    cache: 'none', hook: { name: 'DIB_DEBUG_TRACE', value: String }, examples: [0, 2],
  }),
  field({
    key: 'uncompressed', spec: 'uncompressed', type: 'flag', cli: { flags: '-u, --uncompressed', commands: ['disk'] },
    help: 'do not compress qcow2 output',
    default: no, parse: same, cache: 'outputs', examples: [false, true],
  }),
  field({
    key: 'skipBase', spec: 'skipBase', type: 'flag', cli: { flags: '-n, --skip-base' },
    help: 'do not add the "base" flavour',
    default: no, parse: same, cache: 'tree', examples: [false, true],
  }),
  field({
    key: 'packages', spec: 'packages', type: 'list', cli: { flags: '-p, --packages <list>' },
    help: 'extra packages to install after install.d (comma-separated, repeatable)',
    default: (): string[] => [], parse: same,
    cache: 'tree', hook: { name: 'INSTALL_PACKAGES', value: (list) => (list.length ? list.join(' ') : undefined) },
    examples: [['less'], ['less', 'vim']],
  }),
  field({
    key: 'checksum', spec: 'checksum', type: 'flag', cli: { flags: '--checksum', commands: ['disk'] }, env: 'DIB_CHECKSUM',
    help: 'write NAME.EXT.sha256 and NAME.EXT.md5 beside each output',
    default: no, parse: same, cache: 'none', hook: { name: 'DIB_CHECKSUM', value: yesIf }, examples: [false, true],
  }),
  field({
    key: 'imageSizeBytes', spec: 'imageSize', type: 'text', cli: { flags: '--image-size <size>', commands: ['disk'] }, env: 'DIB_IMAGE_SIZE',
    help: 'disk image size, e.g. 2G, 1500M, 2GiB (bare number = GiB); default: from the built tree',
    default: unset<number>(), parse: (raw, where) => atLeast(where, raw, parseSizeOption(where, raw, 'GiB'), MiB),
    cache: 'outputs', examples: ['2G', '3G'],
  }),
  field({
    key: 'imageExtraSizeBytes', spec: 'imageExtraSize', type: 'text', cli: { flags: '--image-extra-size <size>', commands: ['disk'] }, env: 'DIB_IMAGE_EXTRA_SIZE',
    help: 'free space added to the measured tree instead of the default 40% (bare number = MiB)',
    default: unset<number>(), parse: (raw, where) => parseSizeOption(where, raw, 'MiB'),
    cache: 'outputs', examples: ['200', '300M'],
  }),
  field({
    key: 'imageCache', spec: 'imageCache', type: 'text', cli: { flags: '--image-cache <dir>' }, env: 'DIB_IMAGE_CACHE',
    help: 'kiln cache folder (default $DIB_IMAGE_CACHE or ~/.cache/kiln)',
    default: defaultCacheDir, parse: folder,
    cache: 'none', hook: { name: 'DIB_IMAGE_CACHE', value: same }, examples: ['cache-one', 'cache-two'],
  }),
  field({
    key: 'cacheGroup', spec: 'cacheGroup', type: 'text', cli: { flags: '--cache-group <group>' }, env: 'KILN_CACHE_GROUP',
    help: 'the group that shares the cache folder: only then may it be group-writable (every member can hand root a layer to unpack)',
    default: unset<string>(), parse: notEmpty, cache: 'none', examples: ['kiln', 'builders'],
  }),
  field({
    key: 'mkfsOptions', spec: 'mkfsOptions', type: 'text', cli: { flags: '--mkfs-options <options>', commands: ['disk'] },
    help: 'extra options for the root filesystem mkfs',
    default: unset<string>(), parse: text, cache: 'outputs', examples: ['-m 1', '-m 2'],
  }),
  field({
    key: 'qemuImgOptions', spec: 'qemuImgOptions', type: 'text', cli: { flags: '--qemu-img-options <k=v,...>', commands: ['disk'] }, env: 'QEMU_IMG_OPTIONS',
    help: 'options passed to qemu-img convert -o (e.g. cluster_size=2M)',
    default: unset<string>(), parse: (raw, where) => checkQemuImgOptions(raw, where),
    cache: 'outputs', examples: ['cluster_size=2M', 'cluster_size=1M'],
  }),
  field({
    key: 'dockerTarget', spec: 'dockerTarget', type: 'text', cli: { flags: '--docker-target <name:tag>', commands: ['disk'] },
    help: 'name and tag of the container outputs (oci, oci-archive, docker); default: the output name, tag latest',
    default: unset<string>(), parse: (raw, where) => parseImageReference(raw, where).familiar,
    cache: 'outputs', examples: ['kiln-one:1', 'registry.example.com/kiln:2'],
  }),
  field({
    key: 'rootLabel', spec: 'rootLabel', type: 'text', cli: { flags: '--root-label <label>', commands: ['disk'] }, env: 'ROOT_LABEL',
    help: 'root filesystem label (default cloudimg-rootfs; img-rootfs for xfs)',
    default: unset<string>(), parse: notEmpty,
    cache: 'tree', hook: { name: 'DIB_ROOT_LABEL', value: same }, examples: ['root-one', 'root-two'],
  }),
  field({
    key: 'noTmpfs', spec: 'noTmpfs', type: 'flag', cli: { flags: '--no-tmpfs' }, env: 'DIB_NO_TMPFS',
    help: 'build on disk even when there is enough memory for tmpfs',
    default: no, parse: same, cache: 'none', hook: { name: 'DIB_NO_TMPFS', value: (on) => (on ? '1' : '0') }, examples: [false, true],
  }),
  field({
    key: 'minTmpfsBytes', spec: 'minTmpfs', type: 'text', cli: { flags: '--min-tmpfs <size>' }, env: 'DIB_MIN_TMPFS',
    help: 'memory needed for a tmpfs build is twice this (default 2G, 1G for ramdisks; bare number = GiB)',
    default: (ctx) => (ctx.kind === 'ramdisk' ? 1 : 2) * GiB, parse: (raw, where) => parseSizeOption(where, raw, 'GiB'),
    cache: 'none', examples: ['1', '3G'],
  }),
  field({
    key: 'logfile', spec: 'logfile', type: 'text', cli: { flags: '--logfile <file>' },
    help: 'write the full build log here (default: NAME.log beside the outputs)',
    default: unset<string>(), parse: parseLogFile, cache: 'none', examples: ['one.log', 'two.log'],
  }),
  field({
    key: 'offline', spec: 'offline', type: 'flag', cli: { flags: '--offline' }, env: 'DIB_OFFLINE',
    help: 'use cached downloads and base trees without refreshing them (sets DIB_OFFLINE)',
    default: no, parse: same, cache: 'none', hook: { name: 'DIB_OFFLINE', value: (on) => (on ? '1' : '') }, examples: [false, true],
  }),
  field({
    key: 'flavoursPath', spec: 'flavoursPath', type: 'text', cli: { flags: '--flavours-path <dirs>' },
    help: 'colon-separated folders to search for flavours before $FLAVOURS_PATH and $ELEMENTS_PATH',
    // Not in the keys itself: the flavours it finds are, by content, wherever they are.
    default: unset<string>(), parse: text, cache: 'none', examples: ['one', 'two'],
  }),
  field({
    key: 'noCache', spec: 'noCache', type: 'flag', cli: { flags: '--no-cache' },
    help: 'neither reuse nor store build-root layers in the cache',
    default: no, parse: same, cache: 'none', examples: [false, true],
  }),
  field({
    key: 'bootTest', spec: 'bootTest', type: 'flag', cli: { flags: '--boot-test', commands: ['disk'] },
    help: 'boot the finished image under QEMU and fail the build if it does not come up',
    default: no, parse: same, cache: 'none', examples: [false, true],
  }),
  field({
    key: 'ramdiskCompression', spec: 'compress', type: 'text', cli: { flags: '--compress <method>', commands: ['ramdisk'] },
    help: 'initramfs compression: zstd (default) or gzip',
    default: (): 'zstd' | 'gzip' => 'zstd', parse: compression, cache: 'outputs', examples: ['zstd', 'gzip'],
  }),
  field({
    key: 'vm', spec: 'vm', type: 'flag', cli: { flags: '--vm' }, env: 'KILN_VM',
    help: 'build inside a throwaway VM booted from kiln\'s builder image: no root needed here, a kernel with LVM (KVM when it works)',
    default: no, parse: same, cache: 'none', examples: [false, true],
  }),
  field({
    key: 'vmMemoryMiB', spec: 'vmMemory', type: 'text', cli: { flags: '--vm-memory <size>' }, env: 'KILN_VM_MEMORY',
    help: `memory of the build VM (default ${DEFAULT_VM_MEMORY_MIB / 1024}G; bare number = GiB)`,
    default: () => DEFAULT_VM_MEMORY_MIB, parse: parseVmMemory, cache: 'none', examples: ['2G', '4096M'],
  }),
  field({
    key: 'vmCpus', spec: 'vmCpus', type: 'text', cli: { flags: '--vm-cpus <n>' }, env: 'KILN_VM_CPUS',
    help: 'CPUs of the build VM (default: this machine\'s, at most 8)',
    default: () => Math.min(availableParallelism(), 8),
    parse: (raw, where) => parseNumberOption(where, raw, { unit: 'CPUs', min: 1, integer: true, example: '2' }), cache: 'none', examples: ['1', '2'],
  }),
  field({
    key: 'vmAccel', spec: 'vmAccel', type: 'text', env: 'KILN_VM_ACCEL',
    help: 'accelerator of the build VM: auto (KVM if a test guest runs on it, else software emulation), kvm or tcg',
    default: (): 'auto' | 'kvm' | 'tcg' => 'auto', parse: vmAccel, cache: 'none', examples: ['auto', 'tcg'],
  }),
  field({
    key: 'journalSizeMiB', spec: 'mkfsJournalSize', type: 'text', cli: { flags: '--mkfs-journal-size <MiB>', commands: ['disk'] }, env: 'DIB_JOURNAL_SIZE',
    help: 'ext4 journal size of the root filesystem in MiB (default 64)',
    default: unset<number>(), parse: (raw, where) => parseJournalMiB(raw, where),
    cache: 'outputs', hook: { name: 'DIB_JOURNAL_SIZE', value: (mib) => (mib === undefined ? undefined : String(mib)) }, examples: ['32', '64'],
  }),
  field({
    key: 'maxOnlineResize', spec: 'maxOnlineResize', type: 'text', cli: { flags: '--max-online-resize <blocks>', commands: ['disk'] },
    help: 'ext root filesystem: the size in filesystem blocks it can later grow to while mounted (mkfs -E resize=N)',
    default: unset<number>(), parse: (raw, where) => parseNumberOption(where, raw, { unit: 'filesystem blocks', min: 1, integer: true, example: '16777216' }),
    cache: 'outputs', hook: { name: 'MAX_ONLINE_RESIZE', value: (blocks) => (blocks === undefined ? undefined : String(blocks)) }, examples: ['8388608', '16777216'],
  }),
  field({
    key: 'installType', spec: 'installType', type: 'text', cli: { flags: '--install-type <type>' }, env: 'DIB_DEFAULT_INSTALLTYPE',
    help: 'default install type of flavours with install.d/<prefix>-<type>-install folders (install-types; default source)',
    default: () => 'source', parse: notEmpty,
    cache: 'tree', hook: { name: 'DIB_DEFAULT_INSTALLTYPE', value: same }, examples: ['source', 'package'],
  }),
  field({
    key: 'sourceDateEpoch', spec: 'sourceDateEpoch', type: 'text', cli: { flags: '--source-date-epoch <seconds>' }, env: 'SOURCE_DATE_EPOCH',
    help: 'the time outputs carry (seconds since 1970; later file times are clamped to it); default: the newest input',
    default: unset<number>(), parse: (raw, where) => parseNumberOption(where, raw, { unit: 'seconds since 1970-01-01', min: 0, integer: true, example: '1700000000' }),
    cache: 'tree', hook: { name: 'SOURCE_DATE_EPOCH', value: (epoch) => (epoch === undefined ? undefined : String(epoch)) }, examples: ['0', '1700000000'],
  }),
  field({
    key: 'checkpointSeconds', spec: 'checkpointSeconds', type: 'text', env: 'KILN_CHECKPOINT_SECONDS',
    help: `keep a layer after a hook when the work since the last layer took this long (default ${DEFAULT_CHECKPOINT_SECONDS})`,
    default: () => DEFAULT_CHECKPOINT_SECONDS, parse: (raw, where) => parseNumberOption(where, raw, { unit: 'seconds', min: 0, example: '8' }),
    cache: 'none', examples: ['8', '30'],
  }),
  field({
    key: 'cacheMaxAgeDays', spec: 'cacheMaxAgeDays', type: 'text', env: 'KILN_CACHE_MAX_AGE_DAYS',
    help: `layers older than this many days are not reused (default ${DEFAULT_CACHE_MAX_AGE_DAYS}; 0: none is)`,
    default: () => DEFAULT_CACHE_MAX_AGE_DAYS, parse: (raw, where) => parseNumberOption(where, raw, { unit: 'days', min: 0, example: '7' }),
    cache: 'none', examples: ['7', '30'],
  }),
  field({
    key: 'cacheMaxBytes', spec: 'cacheMaxSize', type: 'text', env: 'KILN_CACHE_MAX_SIZE',
    help: `after a build, the least recently used layers and cached outputs are removed until they take at most this (default ${DEFAULT_CACHE_MAX_GIB}G; 0: no limit)`,
    default: () => DEFAULT_CACHE_MAX_GIB * 1024 ** 3, parse: (raw, where) => (raw.trim() === '0' ? 0 : parseSizeOption(where, raw, 'GiB')),
    cache: 'none', examples: ['40G', '0'],
  }),
] as const;

/** The option part of a BuildRequest: one property per field. */
export type OptionValues = FieldValues<typeof FIELDS>;

/** A field's key. */
export type FieldKey = keyof OptionValues;
