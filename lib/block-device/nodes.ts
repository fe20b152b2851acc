// One checker per node type: graph-notation parameters in, a typed node out, with DIB's
// per-plugin validation (level0..level4 constructors) and kiln's stricter checks on keys,
// filesystem types and UUIDs. Cross-node rules live in config.ts. Pure.
import { FS_TYPES, type FsType, type FstabNode, type LoopNode, type MkfsNode, type MountNode, type PartitionNode, type PartitioningNode } from './types.js';
import { effectiveLabel, LABEL_MAX, normaliseUuid, uuidFormat } from './filesystems.js';
import { NodeParams } from './params.js';
import { gptTypeGuid, mbrTypeByte } from './partition-types.js';

/** A local_loop node: the image file. */
export function loopNode(p: NodeParams): LoopNode {
  p.onlyKeys(['name', 'size', 'directory', 'block_size']);
  const size = p.size('size', false);
  const blockSize = p.integer('block_size', 512);
  if (blockSize !== 512) p.fail(`block_size ${blockSize} is not supported`, 'kiln writes partition tables with 512-byte sectors; remove block_size');
  return {
    kind: 'local_loop', name: p.name, blockSize, origin: p.origin,
    sizeBytes: size?.spec.kind === 'bytes' ? size.spec.bytes : undefined,
    directory: loopDirectory(p),
  };
}

/** local_loop `directory`: an absolute folder (checked to exist when the disk is made). */
function loopDirectory(p: NodeParams): string | undefined {
  const directory = p.optionalString('directory');
  if (directory !== undefined && (!directory.startsWith('/') || directory.includes('\0'))) {
    p.fail(`directory "${directory}" must be an absolute path`, 'e.g. "directory: /var/tmp/images"');
  }
  return directory;
}

/** A partitioning node with its partitions. */
export function partitioningNode(p: NodeParams, partitionParams: (raw: Record<string, unknown>) => NodeParams): PartitioningNode {
  p.onlyKeys(['name', 'base', 'label', 'partitions', 'align']);
  const base = p.requiredString('base', 'name the local_loop node the table goes on, e.g. "base: image0"');
  const label = p.requiredString('label', 'use "label: mbr" or "label: gpt"');
  if (label !== 'mbr' && label !== 'gpt') p.fail(`label must be 'mbr' or 'gpt', got "${label}"`);
  const align = p.size('align', false);
  const alignBytes = align?.spec.kind === 'bytes' ? align.spec.bytes : 1024 * 1024;
  if (alignBytes < 512 || alignBytes % 512 !== 0) p.fail(`align must be a multiple of 512 bytes, got ${align?.text}`);
  const list = p.params.partitions;
  if (!Array.isArray(list) || list.length === 0) p.fail('needs a list of "partitions"');
  const partitions = (list as Record<string, unknown>[]).map((raw) => partitionNode(partitionParams(raw), label));
  return { name: p.name, base, label, alignBytes, partitions, origin: p.origin };
}

function partitionNode(p: NodeParams, label: 'mbr' | 'gpt'): PartitionNode {
  p.onlyKeys(['name', 'base', 'flags', 'size', 'type']);
  const flags = p.stringList('flags');
  for (const flag of flags) {
    if (flag === 'primary' && label === 'gpt') p.fail('the primary flag is not supported for GPT partitions', 'remove "primary" from flags');
    if (flag !== 'boot' && flag !== 'primary') p.fail(`unknown flag "${flag}"`, 'flags are boot and primary (MBR only)');
  }
  const size = p.size('size', true);
  if (!size) p.fail('needs a "size"', 'write an absolute size (512MiB) or a percentage of the free space (100%)');
  return {
    kind: 'partition', name: p.name, base: String(p.params.base), size: size.spec, sizeText: size.text,
    bootable: flags.includes('boot'), primary: flags.includes('primary'), type: partitionType(p, label), origin: p.origin,
  };
}

function partitionType(p: NodeParams, label: 'mbr' | 'gpt'): string {
  const raw = p.params.type;
  if (label === 'gpt') {
    const type = raw === undefined || raw === null ? '8300' : String(raw);
    if (!gptTypeGuid(type)) p.fail(`unknown GPT partition type "${type}"`, 'use an sgdisk code such as 8300, EF00, EF02, 8200 or a type GUID');
    return type;
  }
  if (raw === undefined || raw === null) return '0x83';
  if (typeof raw !== 'string') {
    p.fail(`MBR partition type must be a quoted hex string, got ${JSON.stringify(raw)}`, `write it in quotes, e.g. type: '0x83'`);
  }
  if (mbrTypeByte(raw) === undefined) p.fail(`MBR partition type "${raw}" is not one hex byte`, `write e.g. '0x83' (Linux), '0x82' (swap), '0xef' (EFI)`);
  return raw;
}

/** A mkfs node. `label` defaults to the node name, as in DIB. */
export function mkfsNode(p: NodeParams): MkfsNode {
  p.onlyKeys(['name', 'base', 'type', 'label', 'opts', 'uuid']);
  const base = p.requiredString('base');
  const typeText = p.requiredString('type', `filesystem types are ${FS_TYPES.join(', ')}`);
  const type = (typeText === 'fat' ? 'vfat' : typeText) as FsType;
  if (!FS_TYPES.includes(type)) p.fail(`unsupported filesystem type "${typeText}"`, `filesystem types are ${FS_TYPES.join(', ')}`);
  const label = effectiveLabel(type, p.optionalString('label') ?? p.name);
  if (label.length > LABEL_MAX[type]) {
    p.fail(`label "${label}" is too long for ${type}: ${label.length} > ${LABEL_MAX[type]} characters`, 'choose a shorter "label"');
  }
  const uuidText = p.optionalString('uuid');
  const uuid = uuidText === undefined ? undefined : normaliseUuid(type, uuidText);
  if (uuidText !== undefined && uuid === undefined) p.fail(`uuid "${uuidText}" is not valid for ${type}`, `write ${uuidFormat(type)}`);
  const optsValue = p.params.opts;
  const opts = Array.isArray(optsValue) ? p.stringList('opts') : (p.optionalString('opts') ?? '').split(/\s+/).filter((o) => o !== '');
  return { kind: 'mkfs', name: p.name, base, type, label, uuid, opts, origin: p.origin };
}

/** A mount node. */
export function mountNode(p: NodeParams): MountNode {
  p.onlyKeys(['name', 'base', 'mount_point']);
  const base = p.requiredString('base');
  const raw = p.requiredString('mount_point', 'e.g. "mount_point: /" or "mount_point: /boot/efi"');
  const mountPoint = raw === '/' ? raw : raw.replace(/\/+$/, '');
  if (mountPoint !== 'none' && (!mountPoint.startsWith('/') || mountPoint.split('/').some((c) => c === '..' || c === '.'))) {
    p.fail(`mount_point "${raw}" must be an absolute path (or "none" for swap)`);
  }
  return { kind: 'mount', name: p.name, base, mountPoint, origin: p.origin };
}

/** A fstab node; accepts DIB's dump-freq/fsck-passno and the underscore spellings. */
export function fstabNode(p: NodeParams): FstabNode {
  p.onlyKeys(['name', 'base', 'options', 'dump-freq', 'dump_freq', 'fsck-passno', 'fsck_passno']);
  const options = p.optionalString('options') ?? 'defaults';
  if (/\s/.test(options) || options === '') p.fail(`options "${options}" must be one comma-separated word`);
  return {
    kind: 'fstab', name: p.name, base: p.requiredString('base'), options, origin: p.origin,
    dumpFreq: p.integer(p.has('dump_freq') ? 'dump_freq' : 'dump-freq', 0),
    fsckPassno: p.integer(p.has('fsck_passno') ? 'fsck_passno' : 'fsck-passno', 2),
  };
}
