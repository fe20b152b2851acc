// The lvm node: validated with DIB's checks (level1/lvm.py) so a config gets the same messages
// it would get from DIB, and its pv/vg/lv names take part in the graph. kiln then refuses it
// (see kernel-support.ts): LVM needs device-mapper. Pure.
import type { GraphNode } from './graph.js';
import type { NodeParams } from './params.js';
import type { LvmNode } from './types.js';

const LV_TYPES = ['thin', 'thin-pool'];

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

/** Validates an lvm node as DIB does. */
export function lvmNode(p: NodeParams): LvmNode {
  p.onlyKeys(['name', 'base', 'pvs', 'vgs', 'lvs']);
  const pvs = items(p, 'pvs', 'physical volumes').map((item) => {
    const { name, base } = named(p, 'pvs', item);
    return { name, base: String(base) };
  });
  const vgs = items(p, 'vgs', 'volume groups').map((item) => {
    const { name, base } = named(p, 'vgs', item);
    const bases = Array.isArray(base) ? base.map(String) : [String(base)];
    for (const pv of bases) if (!pvs.some((v) => v.name === pv)) p.fail(`base:${pv} in vgs does not match a valid pvs`);
    return { name, base: bases };
  });
  const lvs = items(p, 'lvs', 'logical volumes').map((item) => {
    const { name, base } = named(p, 'lvs', item);
    if (item.size === undefined && item.extents === undefined) p.fail("missing 'size' or 'extents' in lvs config");
    if (!vgs.some((vg) => vg.name === base)) p.fail(`base:${JSON.stringify(base)} in lvs does not match a valid vg`);
    if (item.type !== undefined && !LV_TYPES.includes(String(item.type))) {
      p.fail(`unsupported type:${String(item.type)}, supported types: ${LV_TYPES.join(', ')}`);
    }
    return { name, base: String(base) };
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
