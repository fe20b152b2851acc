// Parsers for the values options take, shared by the option table (lib/config/fields.ts) and
// the commands that have options of their own (kiln-cache). Each takes `where` (the flag, the
// environment variable or the spec field the text came from) and throws one UsageError line
// that names it, says what is wrong and how to fix it. Pure.
import { UsageError } from '../errors.js';
import { parseBytes, SIZE_HINT } from './size.js';

/** Architectures kiln knows, with the Debian names users pass to -a. */
export const ARCHES = ['amd64', 'i386', 'arm64', 'armhf', 'ppc64el', 's390x'] as const;
const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', ppc64le: 'ppc64el' };

/** Normalises an architecture; x86_64 → amd64 as DIB does. */
export function parseArch(value: string, where = '-a'): string {
  const arch = ARCH_ALIASES[value] ?? value;
  if (!(ARCHES as readonly string[]).includes(arch)) {
    throw new UsageError(`unknown architecture "${value}" for ${where}`, `use one of ${ARCHES.join(', ')}`);
  }
  return arch;
}

/** Parses a size; a bare number is read in `bareUnit` (DIB: GB for --image-size). */
export function parseSizeOption(where: string, value: string, bareUnit: 'GiB' | 'MiB'): number {
  const text = /^\s*\d+(\.\d+)?\s*$/.test(value) ? `${value}${bareUnit}` : value;
  const bytes = parseBytes(text, 'binary');
  if (bytes === undefined || bytes <= 0) {
    throw new UsageError(`${where} "${value}" is not a size`, `${SIZE_HINT}; a bare number means ${bareUnit}`);
  }
  if (!Number.isSafeInteger(bytes)) {
    throw new UsageError(`${where} "${value}" is too large`, 'give a size below 8 PiB');
  }
  return bytes;
}

/** Parses a number of `unit` no smaller than `min`; `integer` refuses fractions. */
export function parseNumberOption(where: string, value: string, options: { unit: string; min: number; integer?: boolean; example: string }): number {
  const number = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  const wanted = `${options.integer ? 'a whole number' : 'a number'} of ${options.unit}${options.min > 0 ? ` (at least ${options.min})` : ''}`;
  if (!Number.isFinite(number) || number < options.min || (options.integer && !Number.isSafeInteger(number))) {
    throw new UsageError(`${where} "${value}" is not ${wanted}`, `set ${where} to ${wanted}, e.g. ${options.example}`);
  }
  return number;
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['', '0', 'false', 'no', 'off'];

/** Reads a yes/no environment value (DIB's `1`, or true/yes/on; empty, 0, false, no, off). */
export function parseBoolean(where: string, value: string): boolean {
  const text = value.trim().toLowerCase();
  if (TRUE.includes(text)) return true;
  if (FALSE.includes(text)) return false;
  throw new UsageError(`${where} "${value}" is neither yes nor no`, `set ${where}=1 to turn it on, or leave it empty (or 0) to turn it off`);
}

/** Splits a list given as one text: commas (and blanks around them) separate items. */
export function splitList(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter(Boolean);
}
