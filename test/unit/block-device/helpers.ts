// Shared helpers for the block-device unit tests: DIB's fixture configs and graph comparison.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseGraph } from '../../../lib/block-device/yaml-tree.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** Text of one of DIB's test configs (diskimage_builder/block_device/tests/config). */
export function fixture(name: string): string {
  return readFileSync(new URL(`${name}.yaml`, FIXTURES), 'utf8');
}

/** JSON with sorted keys, so equal objects compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A config's graph notation as DIB writes it ({type: params} items), order-insensitive. */
export function graphOf(text: string): string[] {
  return parseGraph(text, 'test.yaml').entries.map((e) => canonical({ [e.type]: e.params })).sort();
}

/** A YAML file's items as they are, order-insensitive (DIB's assertCountEqual). */
export function itemsOf(text: string): string[] {
  return (parse(text) as unknown[]).map(canonical).sort();
}

/** Runs `fn` and returns the message of the error it throws (fails if it does not throw). */
export function errorOf(fn: () => unknown): { name: string; message: string; hint: string | undefined } {
  try {
    fn();
  } catch (error) {
    const e = error as Error & { hint?: string };
    return { name: e.constructor.name, message: e.message, hint: e.hint };
  }
  throw new Error('expected an error, but none was thrown');
}

const UUIDS: Record<string, string> = {
  'root-uuid-1234': '11111111-2222-4333-8444-555555555551',
  'var-uuid-1234': '11111111-2222-4333-8444-555555555552',
  'swap-uuid-1234': '11111111-2222-4333-8444-555555555553',
};

/** DIB's fixtures use made-up UUIDs that mkfs would reject; kiln checks them, so real ones are swapped in. */
export function withRealUuids(text: string): string {
  return text.replace(/(root|var|swap)-uuid-1234/g, (m) => UUIDS[m]!);
}
