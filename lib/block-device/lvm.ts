// The lvm node (DIB's level1/lvm.py): validated with DIB's checks and messages, its pv/vg/lv
// names in the graph, and the commands that make it, in DIB's order and form: pvcreate for each
// physical volume, vgcreate for each group, lvcreate for each volume (a size floored to the 4 MiB
// extent and passed in bytes, `-L <n>B`, or `-V <n>B` for a thin volume; extents verbatim,
// `-l 28%VG`), each followed by the node's options. LVM needs device-mapper, so kiln builds these
// layouts only inside its build VM (kernel-support.ts). Pure.
import type { GraphNode } from './graph.js';
import { NodeParams } from './params.js';
import type { LogicalVolume, LvmNode } from './types.js';

const LV_TYPES = ['thin', 'thin-pool'] as const;
/** LVM's default extent size: DIB floors sizes to it so lvcreate never rounds up. */
const EXTENT_BYTES = 4 * 1024 * 1024;

type Item = Record<string, unknown>;

function items(p: NodeParams, key: string, label: string): Item[] {
  const list = p.params[key];
  if (!Array.isArray(list)) p.fail(`config needs '${key}'`, `give the ${label} as a list`);
  return list.map((item: unknown) => (typeof item === 'object' && item !== null ? (item as Item) : p.fail(`${key} entry ${JSON.stringify(item)} is not a mapping`)));
}

function named(p: NodeParams, key: string, item: Item): { name: string; base: unknown } {
  if (typeof item.name !== 'string') p.fail(`missing 'name' in ${key} config`);
  if (item.base === undefined) p.fail(`missing 'base' in ${key} config`);
  return { name: item.name, base: item.base };
}

function options(p: NodeParams, key: string, item: Item): string[] {
  const value = item.options;
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((o) => typeof o === 'string' || typeof o === 'number')) p.fail(`options of ${key} "${String(item.name)}" must be a list of strings`);
  return list.map(String);
}

function lvSize(p: NodeParams, name: string, item: Item): LogicalVolume['size'] {
  if (item.size === undefined) return { extents: String(item.extents) };
  const size = new NodeParams('lv', name, { size: item.size }, p.origin).size('size', false);
  const bytes = size?.spec.kind === 'bytes' ? size.spec.bytes : 0;
  return { bytes: Math.floor(bytes / EXTENT_BYTES) * EXTENT_BYTES };
}

/** Validates an lvm node as DIB does. */
export function lvmNode(p: NodeParams): LvmNode {
  p.onlyKeys(['name', 'base', 'pvs', 'vgs', 'lvs']);
  const pvs = items(p, 'pvs', 'physical volumes').map((item) => {
    const { name, base } = named(p, 'pvs', item);
    return { name, base: String(base), options: options(p, 'pvs', item) };
  });
  const vgs = items(p, 'vgs', 'volume groups').map((item) => {
    const { name, base } = named(p, 'vgs', item);
    const bases = Array.isArray(base) ? base.map(String) : [String(base)];
    for (const pv of bases) if (!pvs.some((v) => v.name === pv)) p.fail(`base:${pv} in vgs does not match a valid pvs`);
    return { name, base: bases, options: options(p, 'vgs', item) };
  });
  const lvs = items(p, 'lvs', 'logical volumes').map((item): LogicalVolume => {
    const { name, base } = named(p, 'lvs', item);
    if (item.size === undefined && item.extents === undefined) p.fail("missing 'size' or 'extents' in lvs config");
    if (!vgs.some((vg) => vg.name === base)) p.fail(`base:${JSON.stringify(base)} in lvs does not match a valid vg`);
    const type = item.type === undefined ? undefined : String(item.type);
    if (type !== undefined && !(LV_TYPES as readonly string[]).includes(type)) p.fail(`unsupported type:${type}, supported types: ${LV_TYPES.join(', ')}`);
    const thinPool = item['thin-pool'] === undefined ? undefined : String(item['thin-pool']);
    if (type === 'thin' && thinPool === undefined) p.fail(`lv "${name}" of type thin needs 'thin-pool' (the name of its pool)`);
    return { name, base: String(base), size: lvSize(p, name, item), type: type as LogicalVolume['type'], thinPool, options: options(p, 'lvs', item) };
  });
  return { kind: 'lvm', name: p.name, pvs, vgs, lvs, origin: p.origin };
}

/** The graph nodes of an lvm stanza: the driver node, then its pvs, vgs and lvs (DIB's edges). */
export function lvmGraphNodes(lvm: LvmNode): GraphNode[] {
  const origin = lvm.origin;
  return [
    { name: lvm.name, type: 'lvm', from: [...new Set(lvm.pvs.map((pv) => pv.base))], to: lvm.pvs.map((pv) => pv.name), origin },
    ...lvm.pvs.map((pv) => ({ name: pv.name, type: 'lvm', from: [], to: [], origin })),
    ...lvm.vgs.map((vg) => ({ name: vg.name, type: 'lvm', from: vg.base, to: [], origin })),
    ...lvm.lvs.map((lv) => ({ name: lv.name, type: 'lvm', from: [lv.base], to: [], origin })),
  ];
}

/** The device-mapper name of a logical volume: dashes in either name are doubled (LVM's rule). */
function dmName(vg: string, lv: string): string {
  return `${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`;
}

/** The device node of a logical volume. */
export function lvDevice(vg: string, lv: string): string {
  return `/dev/mapper/${dmName(vg, lv)}`;
}

/** The pvcreate, vgcreate and lvcreate commands of `lvm`; `devices` maps partition names to devices. */
export function lvmCreateCommands(lvm: LvmNode, devices: Readonly<Record<string, string>>): string[][] {
  const pvDevice = new Map(lvm.pvs.map((pv) => [pv.name, devices[pv.base]!]));
  return [
    ...lvm.pvs.map((pv) => ['pvcreate', pvDevice.get(pv.name)!, ...pv.options]),
    ...lvm.vgs.map((vg) => ['vgcreate', vg.name, ...vg.base.map((pv) => pvDevice.get(pv)!), ...vg.options]),
    ...lvm.lvs.map((lv) => lvcreateCommand(lv)),
  ];
}

function lvcreateCommand(lv: LogicalVolume): string[] {
  const argv = ['lvcreate', '--name', lv.name];
  if (lv.type === 'thin-pool') argv.push('--type', 'thin-pool');
  if (lv.type === 'thin') argv.push('--type', 'thin', '--thin-pool', lv.thinPool!);
  if ('bytes' in lv.size) argv.push(lv.type === 'thin' ? '-V' : '-L', `${lv.size.bytes}B`);
  else argv.push('-l', lv.size.extents);
  return [...argv, ...lv.options, lv.base];
}

/** The commands that release `lvm` before its disk is detached: every group deactivated. */
export function lvmReleaseCommands(lvm: LvmNode): string[][] {
  return lvm.vgs.map((vg) => ['vgchange', '-an', vg.name]);
}
