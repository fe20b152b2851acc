// The node graph of a block-device config (DIB config.py create_graph): unique node names,
// every edge pointing at a defined node, and a topological call order. Where DIB's networkx
// sort is free to choose, kiln takes nodes in config order, so the order is reproducible. Pure.
import { ConfigError } from '../errors.js';
import type { Origin } from './types.js';
import { where } from './yaml-tree.js';

/** One node of the graph with its edges, as DIB's get_edges() reports them. */
export interface GraphNode {
  name: string;
  /** Node type, for messages. */
  type: string;
  /** Nodes that must come before this one. */
  from: string[];
  /** Nodes that must come after this one. */
  to: string[];
  origin: Origin;
}

function at(origin: Origin): string {
  return where(origin.source, origin.line);
}

/** Adds `node`, refusing a name that is already taken. */
export function addNode(nodes: Map<string, GraphNode>, node: GraphNode): void {
  const other = nodes.get(node.name);
  if (other) {
    const line = other.origin.line === undefined ? '' : ` (first defined at line ${other.origin.line})`;
    throw new ConfigError(`duplicate node name "${node.name}"${line}`, at(node.origin), 'give every node a unique "name"');
  }
  nodes.set(node.name, node);
}

/** Checks the edges and returns the node names in call order. */
export function callOrder(nodes: ReadonlyMap<string, GraphNode>): string[] {
  const before = new Map<string, Set<string>>([...nodes.keys()].map((name) => [name, new Set<string>()]));
  for (const node of nodes.values()) {
    for (const from of node.from) {
      if (!nodes.has(from)) throw missingEdge(node, from, `${from}->${node.name}`);
      before.get(node.name)!.add(from);
    }
    for (const to of node.to) {
      if (!nodes.has(to)) throw missingEdge(node, to, `${node.name}->${to}`);
      before.get(to)!.add(node.name);
    }
  }
  return topologicalOrder([...nodes.keys()], before, nodes);
}

function missingEdge(node: GraphNode, missing: string, edge: string): ConfigError {
  return new ConfigError(`${node.type} "${node.name}": base "${missing}" is not a defined node (edge ${edge})`, at(node.origin),
    'check the "base" names against the node names (tree notation names nodes <type>_<parent>)');
}

function topologicalOrder(names: string[], before: Map<string, Set<string>>, nodes: ReadonlyMap<string, GraphNode>): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < names.length) {
    const next = names.find((name) => !done.has(name) && [...before.get(name)!].every((b) => done.has(b)));
    if (next === undefined) {
      const stuck = names.filter((name) => !done.has(name));
      const node = nodes.get(stuck[0]!)!;
      throw new ConfigError(`the nodes ${stuck.join(', ')} depend on each other in a cycle`, at(node.origin), 'check their "base" values');
    }
    done.add(next);
    order.push(next);
  }
  return order;
}
