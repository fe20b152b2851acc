// The disk of a resolved build as text, for the dry run: the size or how it will be reached, the
// partition table with each partition's size, the filesystems with labels and mount points, the
// firmwares it boots with and the bootloader targets. Pure.
import type { ResolvedDisk } from './disk-plan.js';

/** Left-aligned columns, each at most `maxWidth` wide (a longer cell pushes the rest of its row right); the last column is not padded. */
export function table(rows: string[][], indent = '  ', maxWidth = Infinity): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.min(maxWidth, Math.max(widths[i] ?? 0, cell.length))));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** The disk section of the dry run's text. */
export function diskToText(disk: ResolvedDisk): string[] {
  const ignored = disk.ignored.length ? `; overrides ${disk.ignored.join(', ')}` : '';
  const lines = [`Disk (block-device config: ${disk.source}${ignored}):`, `  size: ${disk.sizeHow}`];
  if (disk.table) {
    lines.push(`  partition table: ${disk.table}`);
    const rows = disk.partitions.map((p) => [String(p.number), p.name, p.size, `type ${p.type}`, p.flags.join(' ')]);
    lines.push(...table([['#', 'partition', 'size', 'type', 'flags'], ...rows], '    '));
  } else {
    lines.push('  partition table: none (one filesystem on the whole disk)');
  }
  lines.push('  filesystems:');
  const rows = disk.filesystems.map((f) => [f.name, f.type, `label "${f.label}"`, `on ${f.on}`, f.mountPoint ? `mounted at ${f.mountPoint}` : 'not mounted']);
  lines.push(...table(rows, '    '));
  lines.push(`  boots with: ${disk.firmwares.map((f) => (f === 'bios' ? 'BIOS' : 'UEFI')).join(', ')}`);
  lines.push(...(disk.bootloader.length ? disk.bootloader.map((b) => `  bootloader: ${b}`) : ['  bootloader: none (no bootloader flavour)']));
  return lines;
}
