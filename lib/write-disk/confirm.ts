// The question asked before a disk is overwritten: which device (model, size, removable), what is
// on it now (partitions with their filesystems and labels), and what will be written. Only the
// answer `yes` goes on; anything else, or no answer (stdin closed), writes nothing.
import { createInterface } from 'node:readline/promises';
import type { DeviceFacts } from './device.js';
import type { DiskContents } from './probe.js';
import { describeSize } from './refusals.js';
import type { SourceImage } from './source.js';

/** The confirmation text (pure). */
export function confirmationText(device: DeviceFacts, contents: DiskContents, image: SourceImage): string {
  const lines = [
    `about to overwrite ${device.path}`,
    `  model:      ${device.model ?? 'unknown'}${device.removable ? ' (removable)' : ''}`,
    `  size:       ${describeSize(device.size)}`,
  ];
  if (contents.partitions.length) {
    lines.push(`  partitions: ${contents.table} table`);
    for (const p of contents.partitions) {
      const what = [p.type ?? 'no filesystem found', p.label ? `label "${p.label}"` : undefined].filter(Boolean).join(', ');
      lines.push(`    ${p.node}  ${describeSize(p.size)}  ${what}`);
    }
  } else {
    lines.push(`  contents:   ${contents.table ? `an empty ${contents.table} partition table` : contents.signature ?? 'no partition table or filesystem found'}`);
  }
  lines.push(`  image:      ${image.path} (${image.format}, disk of ${describeSize(image.virtualSize)})`);
  lines.push(`Everything on ${device.path} will be lost.`);
  return `${lines.join('\n')}\n`;
}

/** Asks on the terminal; resolves true only for `yes`. */
export async function askConfirmation(text: string, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<boolean> {
  output.write(text);
  const reader = createInterface({ input, output, terminal: false });
  try {
    const answer = await Promise.race([
      reader.question('Type yes to write: '),
      new Promise<string>((resolve) => reader.once('close', () => resolve(''))),
    ]);
    // A piped answer is not echoed: end the question's line so what follows starts on its own.
    if (!(input as NodeJS.ReadStream).isTTY) output.write('\n');
    return answer.trim() === 'yes';
  } finally {
    reader.close();
  }
}
