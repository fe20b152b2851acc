// Typed access to one node's parameters, with errors that name the config source, the line,
// the node type and the node name: `block-device-default.yaml:12: mkfs "mkfs_root": ...`.
import { parseSize, type SizeSpec } from '../config/size.js';
import { ConfigError } from '../errors.js';
import { closeNames } from '../flavours/suggest.js';
import type { Origin } from './types.js';
import { where } from './yaml-tree.js';

/** Reads and checks the parameters of one node. */
export class NodeParams {
  constructor(
    /** Node type (or `partition`) for messages. */
    readonly type: string,
    readonly name: string,
    readonly params: Record<string, unknown>,
    readonly origin: Origin,
  ) {}

  /** Throws a ConfigError about this node. */
  fail(message: string, hint?: string): never {
    throw new ConfigError(`${this.type} "${this.name}": ${message}`, where(this.origin.source, this.origin.line), hint);
  }

  /** Rejects keys this node type does not know, suggesting the closest known key. */
  onlyKeys(known: readonly string[]): void {
    for (const key of Object.keys(this.params)) {
      if (known.includes(key)) continue;
      const close = closeNames(key, known);
      this.fail(`unknown key "${key}"`, close.length ? `did you mean "${close[0]}"?` : `known keys: ${known.join(', ')}`);
    }
  }

  has(key: string): boolean {
    return this.params[key] !== undefined && this.params[key] !== null;
  }

  /** A required string (numbers are accepted and turned into text). */
  requiredString(key: string, hint?: string): string {
    const value = this.optionalString(key);
    if (value === undefined || value === '') this.fail(`needs "${key}"`, hint);
    return value;
  }

  /** An optional string (numbers are accepted and turned into text). */
  optionalString(key: string): string | undefined {
    const value = this.params[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    this.fail(`"${key}" must be a string, got ${JSON.stringify(value)}`);
  }

  /** A non-negative integer, with a default. */
  integer(key: string, fallback: number): number {
    const value = this.params[key];
    if (value === undefined || value === null) return fallback;
    const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < 0) {
      this.fail(`"${key}" must be a whole number, got ${JSON.stringify(value)}`);
    }
    return number;
  }

  /** A list of strings (a single string is read as a one-item list). */
  stringList(key: string): string[] {
    const value = this.params[key];
    if (value === undefined || value === null) return [];
    const list = Array.isArray(value) ? value : [value];
    if (!list.every((item) => typeof item === 'string')) this.fail(`"${key}" must be a list of strings, got ${JSON.stringify(value)}`);
    return list as string[];
  }

  /** A size in DIB's units (K/M/G/T = 1000ⁿ, KiB/MiB/... = 1024ⁿ, bare = bytes), optionally a percentage. */
  size(key: string, allowPercent: boolean): { spec: SizeSpec; text: string } | undefined {
    const raw = this.params[key];
    if (raw === undefined || raw === null) return undefined;
    const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw : undefined;
    const spec = text === undefined ? undefined : parseSize(text, 'decimal', allowPercent);
    if (text === undefined || spec === undefined || (spec.kind === 'percent' && spec.percent <= 0)) {
      this.fail(`"${key}" is not a valid size: ${JSON.stringify(raw)}`,
        `write bytes or a unit (10GiB, 512MiB, 1G = 10⁹)${allowPercent ? ', or a percentage of the free space (50%)' : ''}`);
    }
    return { spec, text };
  }
}
