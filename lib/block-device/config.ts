// parseBlockDeviceConfig(): DIB block-device YAML (tree, graph or mixed) → a validated
// BlockDeviceConfig. Nodes are checked in config order as DIB's plugin constructors do (so the
// first error is the one DIB would report), then the graph edges and the call order, then the
// rules kiln adds for the one disk it builds (structure.ts). Every error is a ConfigError naming
// the source, the line and the node. Pure.
import { ConfigError } from '../errors.js';
import { addNode, callOrder, type GraphNode } from './graph.js';
import { lvmGraphNodes, lvmNode } from './lvm.js';
import { fstabNode, loopNode, mkfsNode, mountNode, partitioningNode } from './nodes.js';
import { NodeParams } from './params.js';
import { mergeRootParams, type RootParams } from './root-params.js';
import { checkStructure } from './structure.js';
import type { BlockDeviceConfig, FstabNode, LoopNode, LvmNode, MkfsNode, MountNode, Origin, PartitioningNode } from './types.js';
import { parseGraph, type GraphEntry, where } from './yaml-tree.js';

/** Nodes collected while reading the entries. */
interface Collected {
  loops: LoopNode[];
  partitionings: PartitioningNode[];
  filesystems: MkfsNode[];
  mounts: MountNode[];
  fstab: FstabNode[];
  lvm: LvmNode[];
  graph: Map<string, GraphNode>;
}

/** Parses and validates a block-device config; `source` names it in every error. */
export function parseBlockDeviceConfig(text: string, source: string, root: RootParams = {}): BlockDeviceConfig {
  const { entries, lines } = parseGraph(text, source);
  mergeRootParams(entries, root);
  const collected: Collected = { loops: [], partitionings: [], filesystems: [], mounts: [], fstab: [], lvm: [], graph: new Map() };
  const origin = (params: object): Origin => ({ source, line: lines.get(params) });
  for (const entry of entries) addEntry(collected, entry, origin);
  addMountOrderEdges(collected);
  const order = callOrder(collected.graph);
  if (collected.loops.length === 0) {
    throw new ConfigError('no local_loop node: kiln needs one disk image to build on', source, 'add "- local_loop: {name: image0}"');
  }
  const config: BlockDeviceConfig = {
    source, loop: collected.loops[0]!, partitioning: collected.partitionings[0], filesystems: collected.filesystems,
    mounts: collected.mounts, fstab: collected.fstab, lvm: collected.lvm, callOrder: order,
  };
  checkStructure(config, collected.loops, collected.partitionings);
  return config;
}

/** Node names kiln accepts: DIB's own names all fit, "Root Part" (gpt_efi.yaml) included. */
const NODE_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.+ -]{0,62}[A-Za-z0-9_.+-])?$/;

function nodeParams(type: string, params: Record<string, unknown>, origin: Origin): NodeParams {
  const name = params.name;
  if (typeof name !== 'string' || name === '') {
    throw new ConfigError(`${type} node: "name" must be a non-empty string, got ${JSON.stringify(name)}`, where(origin.source, origin.line));
  }
  // Names become file names (local_loop) and IMAGE_BLOCK_DEVICES, which hooks `eval`: plain words only.
  if (!NODE_NAME.test(name)) {
    throw new ConfigError(`${type} node: name ${JSON.stringify(name)} may only hold letters, digits, spaces and . _ + - (at most 64, not starting with . - or a space)`,
      where(origin.source, origin.line), 'rename it, e.g. "root" or "image0"');
  }
  return new NodeParams(type, name, params, origin);
}

function addEntry(c: Collected, entry: GraphEntry, origin: (params: object) => Origin): void {
  const p = nodeParams(entry.type, entry.params, origin(entry.params));
  switch (entry.type) {
    case 'local_loop': {
      const loop = loopNode(p);
      c.loops.push(loop);
      addNode(c.graph, { name: loop.name, type: 'local_loop', from: [], to: [], origin: loop.origin });
      return;
    }
    case 'partitioning':
      return addPartitioning(c, partitioningNode(p, (raw) => nodeParams('partition', raw, origin(raw))));
    case 'mkfs':
      return addMkfs(c, mkfsNode(p));
    case 'mount':
      return addMount(c, mountNode(p));
    case 'fstab': {
      const fstab = fstabNode(p);
      c.fstab.push(fstab);
      addNode(c.graph, { name: fstab.name, type: 'fstab', from: [fstab.base], to: [], origin: fstab.origin });
      return;
    }
    case 'lvm': {
      const lvm = lvmNode(p);
      c.lvm.push(lvm);
      for (const node of lvmGraphNodes(lvm)) addNode(c.graph, node);
    }
  }
}

function addPartitioning(c: Collected, table: PartitioningNode): void {
  c.partitionings.push(table);
  let previous: string | undefined;
  for (const part of table.partitions) {
    addNode(c.graph, { name: part.name, type: 'partition', from: previous ? [part.base, previous] : [part.base], to: [], origin: part.origin });
    previous = part.name;
  }
}

function addMkfs(c: Collected, fs: MkfsNode): void {
  const other = c.filesystems.find((f) => f.label === fs.label);
  if (other) {
    throw new ConfigError(`mkfs "${fs.name}": filesystem label "${fs.label}" used more than once (also by mkfs "${other.name}")`,
      where(fs.origin.source, fs.origin.line), 'give each filesystem its own "label"');
  }
  c.filesystems.push(fs);
  addNode(c.graph, { name: fs.name, type: 'mkfs', from: [fs.base], to: [], origin: fs.origin });
}

function addMount(c: Collected, mount: MountNode): void {
  const other = c.mounts.find((m) => m.mountPoint === mount.mountPoint);
  if (other && mount.mountPoint !== 'none') {
    throw new ConfigError(`mount "${mount.name}": mount point ${mount.mountPoint} specified more than once (also by mount "${other.name}")`,
      where(mount.origin.source, mount.origin.line));
  }
  c.mounts.push(mount);
  addNode(c.graph, { name: mount.name, type: 'mount', from: [mount.base], to: [], origin: mount.origin });
}

/** DIB makes each mount depend on the one before it in string order of mount points. */
function addMountOrderEdges(c: Collected): void {
  const sorted = sortMounts(c.mounts);
  for (let i = 1; i < sorted.length; i++) c.graph.get(sorted[i]!.name)!.from.unshift(sorted[i - 1]!.name);
}

/** Mounts in DIB's mount order: plain string order of the mount points (`/` < `/boot` < `/var`). */
export function sortMounts<T extends { mountPoint: string }>(mounts: readonly T[]): T[] {
  return [...mounts].sort((a, b) => (a.mountPoint < b.mountPoint ? -1 : a.mountPoint > b.mountPoint ? 1 : 0));
}
