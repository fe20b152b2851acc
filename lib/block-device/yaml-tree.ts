// Reads block-device YAML and flattens DIB's "tree" notation into its "graph" notation
// (diskimage_builder/block_device/config.py: config_tree_to_graph / recurse_config). Inside a
// node, a key that names a node type is a child node: it gets its parent's name as `base`, and
// a node without `name` is called `<type>_<base>` (mkfs_root, mount_mkfs_root, ...). The
// `partitions` list of a partitioning node stays inside it; each partition gets the table's
// base, and node keys inside a partition become nodes based on the partition. Graph input
// passes through unchanged, and both notations may be mixed. Pure.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import { closeNames } from '../flavours/suggest.js';
import { NODE_TYPES, type NodeType } from './types.js';

/** One node of the graph notation: `{type: params}`. */
export interface GraphEntry {
  type: NodeType;
  params: Record<string, unknown>;
}

/** The graph notation plus the source line of every mapping (for messages). */
export interface ParsedGraph {
  entries: GraphEntry[];
  lines: WeakMap<object, number>;
}

type Plain = Record<string, unknown>;

/** True if `key` names a node type (a DIB plugin). */
function isNodeType(key: string): key is NodeType {
  return (NODE_TYPES as readonly string[]).includes(key);
}

/** Parses YAML text and converts it to graph notation; throws ConfigError naming `source`. */
export function parseGraph(text: string, source: string): ParsedGraph {
  const lines = new WeakMap<object, number>();
  const list = readYaml(text, source, lines);
  const at = (value: object | undefined): string => where(source, value === undefined ? undefined : lines.get(value));
  return { entries: treeToGraph(list, at, lines), lines };
}

/** `source:line` when the line is known. */
export function where(source: string, line: number | undefined): string {
  return line === undefined ? source : `${source}:${line}`;
}

function readYaml(text: string, source: string, lines: WeakMap<object, number>): unknown[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const line = error.linePos?.[0].line;
    throw new ConfigError(`invalid YAML: ${error.message.split('\n')[0]}`, where(source, line));
  }
  const value = toPlain(doc.contents, counter, lines);
  if (value === null || value === undefined) {
    throw new ConfigError('the block-device config is empty', source, 'write a YAML list of nodes, e.g. "- local_loop: {name: image0}"');
  }
  if (!Array.isArray(value)) {
    throw new ConfigError('the block-device config must be a YAML list of nodes', where(source, lines.get(value as object)),
      'start each node with "- ", e.g. "- local_loop: {name: image0}"');
  }
  return value;
}

/** Converts a YAML node to plain data, recording the line of every mapping and list. */
function toPlain(node: unknown, counter: LineCounter, lines: WeakMap<object, number>): unknown {
  if (node === null || node === undefined) return null;
  if (isMap(node)) {
    const out: Plain = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      out[key] = toPlain(pair.value, counter, lines);
    }
    if (node.range) lines.set(out, counter.linePos(node.range[0]).line);
    return out;
  }
  if (isSeq(node)) {
    const out = node.items.map((item) => toPlain(item, counter, lines));
    if (node.range) lines.set(out, counter.linePos(node.range[0]).line);
    return out;
  }
  if (isScalar(node)) return node.value;
  return null;
}

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Flattens top-level entries (tree or graph) into graph entries, in DIB's order. */
function treeToGraph(list: unknown[], at: (value: object | undefined) => string, lines: WeakMap<object, number>): GraphEntry[] {
  const output: GraphEntry[] = [];
  for (const entry of list) {
    if (!isPlain(entry)) {
      throw new ConfigError(`config entry ${JSON.stringify(entry)} is not a mapping`, at(undefined),
        'each list item must be one node, e.g. "- mkfs: {type: ext4}"');
    }
    const keys = Object.keys(entry);
    if (keys.length !== 1) {
      throw new ConfigError(`config entry has ${keys.length} keys (${keys.join(', ')}); each entry must be a single node type`, at(entry),
        'start a new list item ("- ") for each node');
    }
    const type = keys[0]!;
    if (!isNodeType(type)) throw unknownType(type, at(entry));
    output.push(...recurse(type, entry[type], undefined, entry, at, lines));
  }
  return output;
}

function unknownType(type: string, location: string): ConfigError {
  const close = closeNames(type, NODE_TYPES);
  const known = `node types are ${NODE_TYPES.join(', ')}`;
  return new ConfigError(`unknown node type "${type}"`, location, close.length ? `did you mean "${close[0]}"? (${known})` : known);
}

function recurse(type: NodeType, raw: unknown, parentBase: string | undefined, owner: object, at: (v: object | undefined) => string,
  lines: WeakMap<object, number>): GraphEntry[] {
  const values = raw === null ? {} : raw;
  if (!isPlain(values)) {
    throw new ConfigError(`${type} node: expected a mapping of parameters, got ${JSON.stringify(raw)}`, at(owner));
  }
  const output: GraphEntry[] = [];
  const self: Plain = {};
  const line = lines.get(values) ?? lines.get(owner);
  if (line !== undefined) lines.set(self, line);
  const base = 'base' in values ? values.base : parentBase;
  if (base !== undefined) self.base = base;
  self.name = 'name' in values ? values.name : base === undefined ? type : `${type}_${String(base)}`;
  for (const [key, value] of Object.entries(values)) {
    if (key === 'partitions' && type === 'partitioning') {
      self.partitions = flattenPartitions(value, self, output, at, lines);
    } else if (isNodeType(key)) {
      output.push(...recurse(key, value, String(self.name), values, at, lines));
    } else {
      self[key] = value;
    }
  }
  output.push({ type, params: self });
  return output;
}

function flattenPartitions(list: unknown, table: Plain, output: GraphEntry[], at: (v: object | undefined) => string,
  lines: WeakMap<object, number>): Plain[] {
  if (!Array.isArray(list)) {
    throw new ConfigError(`partitioning "${String(table.name)}": "partitions" must be a list`, at(table));
  }
  return list.map((partition: unknown) => {
    if (!isPlain(partition)) {
      throw new ConfigError(`partitioning "${String(table.name)}": partition ${JSON.stringify(partition)} is not a mapping`, at(table));
    }
    if (typeof partition.name !== 'string' || partition.name === '') {
      throw new ConfigError(`partitioning "${String(table.name)}": a partition has no name`, at(partition), 'give every partition a "name"');
    }
    const flat: Plain = {};
    const line = lines.get(partition);
    if (line !== undefined) lines.set(flat, line);
    for (const [key, value] of Object.entries(partition)) {
      if (isNodeType(key)) output.push(...recurse(key, value, partition.name, partition, at, lines));
      else flat[key] = value;
    }
    flat.base = table.base;
    return flat;
  });
}
