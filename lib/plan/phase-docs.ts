// The phase table as Markdown, for the README (a lint test keeps the README in step with it).
import { PHASES, RAMDISK_EXTRAS } from '../flavours/phases.js';

/** Markdown table of the phases, in run order. */
export function phaseTableMarkdown(): string {
  const rows = PHASES.map((p) => {
    const inputs = p.inputs.length ? `in: ${p.inputs.map((v) => `\`${v}\``).join(', ')}` : '';
    const outputs = p.outputs.length ? `prints: ${p.outputs.map((v) => `\`${v}=…\``).join(', ')}` : '';
    const io = [inputs, outputs].filter(Boolean).join('; ');
    return `| \`${p.dir}\` | ${p.where} | ${p.builds === 'disk' ? 'disk images' : 'all'} | ${p.purpose} | ${io || '–'} |`;
  });
  const extras = RAMDISK_EXTRAS.map((e) => `| \`${e.name}\` or \`${e.name}.d/\` | ramdisk | ramdisk | ${e.purpose} | – |`);
  return ['| folder | runs | builds | what for | variables |', '| --- | --- | --- | --- | --- |', ...rows, ...extras].join('\n');
}
