// The sfdisk input script for a planned table. sfdisk writes it to the image FILE (no loop
// device, no kernel re-read), with every start and size given in sectors so that sfdisk does
// not realign anything: the table is exactly the one planned. For MBR, sfdisk numbers lines
// 1..4 and, after an extended partition, the logical ones from 5, putting each EBR one
// alignment unit before its partition, as DIB's own writer does. Pure.
import type { PlannedPartition } from './layout-types.js';

/** Script header and lines for `sfdisk` (fed on stdin). */
export function sfdiskScript(table: {
  label: 'mbr' | 'gpt';
  id: string;
  partitions: readonly PlannedPartition[];
  extended: { startSector: number; sizeSectors: number } | undefined;
}): string {
  const header = [`label: ${table.label === 'mbr' ? 'dos' : 'gpt'}`, `label-id: ${table.id}`, 'unit: sectors', 'sector-size: 512', ''];
  const primaries = table.partitions.filter((p) => !p.logical);
  const logicals = table.partitions.filter((p) => p.logical);
  const lines = primaries.map(partitionLine);
  if (table.extended) lines.push(`start=${table.extended.startSector}, size=${table.extended.sizeSectors}, type=f`);
  lines.push(...logicals.map(partitionLine));
  return [...header, ...lines, ''].join('\n');
}

function partitionLine(p: PlannedPartition): string {
  const fields = [`start=${p.startSector}`, `size=${p.sizeSectors}`, `type=${p.sfdiskType}`];
  if (p.uuid !== undefined) fields.push(`uuid=${p.uuid}`, `name="${p.name}"`);
  if (p.bootable) fields.push('bootable');
  return fields.join(', ');
}
