// The disk of a build, resolved before anything runs: the block-device config chosen as DIB does
// (DIB_BLOCK_DEVICE_CONFIG, else the first flavour that carries one, else the fallback), parsed
// and checked once, with what the dry run shows of it: the partition table, each partition's
// size (or how it will be sized), filesystems, labels, mount points, the firmwares the layout
// boots with and the bootloader targets. When the disk's size is known up front, the layout is
// computed too, so a layout that does not fit fails here, not after the hooks ran. Reads the
// config file and /dev (device-mapper); otherwise pure.
import { statSync } from 'node:fs';
import type { Firmware } from '../boot-test/qemu.js';
import { parseBlockDeviceConfig } from '../block-device/config.js';
import { checkKernelSupport, probeKernelFeatures } from '../block-device/kernel-support.js';
import type { DiskLayout } from '../block-device/layout-types.js';
import { planDiskLayout, rootFsType } from '../block-device/layout.js';
import { gptTypeGuid, GPT_TYPE_CODES } from '../block-device/partition-types.js';
import { seededRandom } from '../block-device/random.js';
import type { RootParams } from '../block-device/root-params.js';
import { selectConfigSource } from '../block-device/source.js';
import type { BlockDeviceConfig, PartitionNode } from '../block-device/types.js';
import { parseJournalMiB } from '../config/fields.js';
import { formatBytes } from '../config/size.js';
import { definedOnly } from '../environment.js';
import { UsageError } from '../errors.js';
import { outputFormat } from '../outputs/registry.js';
import { resolveHostPath } from '../resources/safe-path.js';
import type { BuildPlan } from './build-plan.js';
import { exportedValues } from './hook-environment.js';
import { hasEfiFlavour, imageSize, type SizeInputs } from './image-size.js';

/** One partition as the dry run shows it. */
export interface PartitionView {
  name: string;
  /** Partition number: the kernel's device is <disk>p<number>. */
  number: number;
  /** `512 MiB`, or how it will be sized (`100% of the space left`). */
  size: string;
  /** Exact size, when the layout is known. */
  bytes: number | undefined;
  type: string;
  flags: string[];
}

/** One filesystem as the dry run shows it. */
export interface FilesystemView {
  name: string;
  /** The partition it is made on, or the disk. */
  on: string;
  type: string;
  label: string;
  mountPoint: string | undefined;
}

/** The resolved disk of a disk-image build. Plain data. */
export interface ResolvedDisk {
  /** Where the config came from (`DIB_BLOCK_DEVICE_CONFIG`, a file, the fallback). */
  source: string;
  /** Other flavours' configs that an earlier one overrode. */
  ignored: string[];
  /** The config text as read. */
  text: string;
  /** The root filesystem parameters merged into it (FS_TYPE, --root-label, --mkfs-options, journal). */
  rootParams: RootParams;
  config: BlockDeviceConfig;
  /** Everything the image size depends on but the tree's size. */
  sizing: Omit<SizeInputs, 'treeBytes'>;
  /** The disk size when it is known before the build (else undefined), and how it is reached. */
  sizeBytes: number | undefined;
  sizeHow: string;
  table: 'mbr' | 'gpt' | undefined;
  partitions: PartitionView[];
  filesystems: FilesystemView[];
  /** local_loop `directory`, resolved to a real, existing folder; undefined: the work folder. */
  imageDirectory: string | undefined;
  /** Firmwares the layout boots with (what --boot-test tries). */
  firmwares: Firmware[];
  /** What the bootloader flavour installs, one line each; empty without one. */
  bootloader: string[];
}

/** True if the build writes a disk image (not only trees, not a ramdisk). */
function buildsDisk(plan: BuildPlan): boolean {
  return plan.request.kind === 'disk' && plan.request.types.some((t) => outputFormat(t).kind === 'image');
}

/** The root filesystem parameters of a plan: options first, then the environment (flavours' too). */
function rootParams(plan: BuildPlan, env: Record<string, string>): RootParams {
  const { request } = plan;
  const params: RootParams = {};
  if (env.FS_TYPE) params.fsType = env.FS_TYPE;
  if (request.rootLabel !== undefined) params.label = request.rootLabel;
  if (request.mkfsOptions !== undefined) params.mkfsOptions = request.mkfsOptions;
  // A flavour's environment.d may set DIB_JOURNAL_SIZE too: checked the way the option is.
  const journal = request.journalSizeMiB ?? (env.DIB_JOURNAL_SIZE ? parseJournalMiB(env.DIB_JOURNAL_SIZE, 'DIB_JOURNAL_SIZE') : undefined);
  if (journal !== undefined) params.journalMiB = journal;
  if (request.maxOnlineResize !== undefined) params.maxOnlineResize = request.maxOnlineResize;
  return params;
}

/** Resolves the disk of `plan`; undefined when it writes no disk image. Throws ConfigError with
 * the source named for any error in the config or its layout. */
export function resolveDisk(plan: BuildPlan): ResolvedDisk | undefined {
  if (!buildsDisk(plan)) return undefined;
  const { request } = plan;
  const env = { ...exportedValues(plan.environment), ...definedOnly(request.env) };
  const source = selectConfigSource({ envValue: env.DIB_BLOCK_DEVICE_CONFIG, flavours: plan.flavours, arch: request.arch, cwd: request.cwd });
  const root = rootParams(plan, env);
  const config = parseBlockDeviceConfig(source.text, source.source, root);
  // A --vm build is planned here and built in the VM, whose kernel offers what the host's may not.
  const features = probeKernelFeatures();
  if (request.vm) checkKernelSupport(config, 'vm');
  else checkKernelSupport(config, features.builderVm ? 'vm' : 'host', features);
  const sizing = {
    imageSizeBytes: request.imageSizeBytes, extraBytes: request.imageExtraSizeBytes, rootFsType: rootFsType(config),
    journalMiB: root.journalMiB, hasEsp: hasEfiFlavour(plan.flavours.map((f) => f.name)),
  };
  const size = knownSize(plan, config, sizing);
  const layout = size.bytes === undefined ? undefined : planDiskLayout(config, size.bytes, seededRandom(1));
  return {
    source: source.source, ignored: source.ignored, text: source.text, rootParams: root, config, sizing,
    sizeBytes: size.bytes, sizeHow: size.how, table: config.partitioning?.label,
    imageDirectory: config.loop.directory === undefined ? undefined : imageDirectory(config.loop.directory),
    partitions: partitionViews(config, layout), filesystems: filesystemViews(config),
    firmwares: firmwares(config), bootloader: bootloaderTargets(plan, config),
  };
}

/** local_loop `directory`, resolved once; it must be an existing folder. */
function imageDirectory(directory: string): string {
  const real = resolveHostPath(directory);
  if (!statSync(real, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`local_loop directory ${directory} is not an existing folder`, 'create it, or leave "directory" out to build the disk in the work folder');
  }
  return real;
}

/** The disk size if the build cannot change it (no block-device-size.d hook), and how it is reached. */
function knownSize(plan: BuildPlan, config: BlockDeviceConfig, sizing: Omit<SizeInputs, 'treeBytes'>): { bytes: number | undefined; how: string } {
  const sizeHooks = plan.phases.find((p) => p.name === 'block-device-size')?.hooks ?? [];
  const hooks = sizeHooks.length ? `; block-device-size.d may change it (${sizeHooks.map((h) => `${h.name} (${h.flavour})`).join(', ')})` : '';
  const fixed = config.loop.sizeBytes;
  if (fixed !== undefined) return { bytes: hooks ? undefined : fixed, how: `${formatBytes(fixed)}, fixed by local_loop "${config.loop.name}"${hooks}` };
  if (sizing.imageSizeBytes !== undefined) {
    const computed = imageSize({ ...sizing, treeBytes: 0 });
    return { bytes: hooks ? undefined : computed.bytes, how: `${formatBytes(computed.bytes)}: the image size asked for${sizing.hasEsp ? ' + 525 MiB for the EFI system partition' : ''}${hooks}` };
  }
  const grow = sizing.extraBytes !== undefined ? `tree + ${formatBytes(sizing.extraBytes)}` : 'tree / 0.6';
  const journal = sizing.rootFsType === 'ext4' ? ` + ${sizing.journalMiB ?? 64} MiB ext4 journal` : '';
  const esp = sizing.hasEsp ? ' + 525 MiB for the EFI system partition' : '';
  return { bytes: undefined, how: `from the built tree: ${grow}${journal}${esp}, rounded up to 64 KiB${hooks}` };
}

function sizeText(p: PartitionNode): string {
  if (p.size.kind === 'percent') return p.size.percent === 100 ? 'the rest of the disk' : `${p.size.percent}% of the space left`;
  return formatBytes(p.size.bytes);
}

function partitionViews(config: BlockDeviceConfig, layout: DiskLayout | undefined): PartitionView[] {
  const table = config.partitioning;
  if (!table) return [];
  let slot = 0;
  return table.partitions.map((p) => {
    // MBR: primary partitions are 1-4 in order, logical ones 5 and up (as mbr.ts places them).
    slot = table.label === 'mbr' && !p.primary && slot < 4 ? 5 : slot + 1;
    const placed = layout?.table?.partitions.find((q) => q.name === p.name);
    const flags = [...(p.bootable ? ['boot'] : []), ...(table.label === 'mbr' ? [p.primary ? 'primary' : 'logical'] : [])];
    const bytes = placed ? placed.sizeSectors * 512 : undefined;
    return { name: p.name, number: placed?.number ?? slot, size: bytes === undefined ? sizeText(p) : formatBytes(bytes), bytes, type: p.type, flags };
  });
}

function filesystemViews(config: BlockDeviceConfig): FilesystemView[] {
  return config.filesystems.map((fs) => ({
    name: fs.name, on: fs.base === config.loop.name ? 'the whole disk' : fs.base, type: fs.type, label: fs.label,
    mountPoint: config.mounts.find((m) => m.base === fs.name)?.mountPoint,
  }));
}

const BIOS_BOOT = GPT_TYPE_CODES.EF02!;

/** BIOS unless it is GPT without a BIOS boot partition; UEFI if it mounts an ESP at /boot/efi. */
export function firmwares(config: BlockDeviceConfig): Firmware[] {
  const parts = config.partitioning?.partitions ?? [];
  const gpt = config.partitioning?.label === 'gpt';
  const biosBoot = !gpt || parts.some((p) => gptTypeGuid(p.type) === BIOS_BOOT);
  const found: Firmware[] = [];
  if (biosBoot) found.push('bios');
  if (config.mounts.some((m) => m.mountPoint === '/boot/efi')) found.push('uefi');
  return found.length ? found : ['bios'];
}

const EFI_TARGETS: Record<string, string> = { amd64: 'x86_64-efi', i386: 'i386-efi', arm64: 'arm64-efi' };

/** What the bootloader flavour's finalise.d hook installs for this layout and architecture. */
function bootloaderTargets(plan: BuildPlan, config: BlockDeviceConfig): string[] {
  if (!plan.flavours.some((f) => f.name === 'bootloader')) return [];
  const arch = plan.request.arch;
  const boots = firmwares(config);
  const lines: string[] = [];
  if (boots.includes('bios') && (arch === 'amd64' || arch === 'i386')) {
    lines.push(`BIOS: GRUB i386-pc on the disk${config.partitioning?.label === 'gpt' ? ' (core image in the BIOS boot partition)' : ' (MBR boot code)'}`);
  }
  if (boots.includes('uefi')) {
    const target = EFI_TARGETS[arch];
    lines.push(target ? `UEFI: GRUB ${target} in the EFI system partition (/boot/efi, removable path EFI/BOOT/)` : `UEFI: no GRUB target for ${arch}: the build will fail`);
  }
  return lines;
}

/** The disk's part of the output key: the config text and the root parameters merged into it. */
export function diskKeyText(disk: ResolvedDisk | undefined): string {
  return disk ? JSON.stringify({ text: disk.text, root: disk.rootParams }) : '';
}
