// Size specifications as users write them: `2G`, `1500M`, `2GiB`, `512KiB`, `10%`, `4096`.
// Units follow diskimage-builder's block-device layer: KiB/MiB/GiB/TiB are powers of 1024;
// KB/MB/GB/TB are powers of 1000. The bare letters K/M/G/T are read as powers of 1024 on the
// command line (what `--image-size 2G` users mean) and as 1000 in block-device YAML, where DIB
// defines them that way.

/** A parsed size: an absolute byte count or a percentage of something else. */
export type SizeSpec = { kind: 'bytes'; bytes: number } | { kind: 'percent'; percent: number };

const BINARY: Record<string, number> = { KIB: 1024, MIB: 1024 ** 2, GIB: 1024 ** 3, TIB: 1024 ** 4 };
const DECIMAL: Record<string, number> = { KB: 1000, MB: 1000 ** 2, GB: 1000 ** 3, TB: 1000 ** 4 };
const LETTERS = ['K', 'M', 'G', 'T'];

/** How bare unit letters (`G`) are read. */
export type LetterUnits = 'binary' | 'decimal';

/** Parses a size; returns undefined when the text is not a size. */
export function parseSize(text: string, letters: LetterUnits = 'binary', allowPercent = false): SizeSpec | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z%]*)\s*$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2]!.toUpperCase();
  if (unit === '%') return allowPercent && value <= 100 ? { kind: 'percent', percent: value } : undefined;
  const factor = unitFactor(unit, letters);
  if (factor === undefined) return undefined;
  return { kind: 'bytes', bytes: Math.floor(value * factor) };
}

function unitFactor(unit: string, letters: LetterUnits): number | undefined {
  if (unit === '' || unit === 'B') return 1;
  if (BINARY[unit] !== undefined) return BINARY[unit];
  if (DECIMAL[unit] !== undefined) return DECIMAL[unit];
  const index = LETTERS.indexOf(unit);
  if (index >= 0) return (letters === 'binary' ? 1024 : 1000) ** (index + 1);
  return undefined;
}

/** Parses an absolute size or returns undefined. */
export function parseBytes(text: string, letters: LetterUnits = 'binary'): number | undefined {
  const spec = parseSize(text, letters, false);
  return spec?.kind === 'bytes' ? spec.bytes : undefined;
}

/** Formats a byte count for people: 1.5 GiB, 300 MiB, 12 KiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let index = 0;
  while (value >= 1024 && index < units.length - 1) {
    value /= 1024;
    index++;
  }
  return index === 0 ? `${bytes} B` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[index]}`;
}

export const SIZE_HINT = 'write a size such as 2G, 1500M, 2GiB or 4096 (bytes)';
