// The option table as Markdown, for the README (a lint test keeps the README in step with it).
import type { AnyField } from './field-spec.js';
import { FIELDS } from './fields.js';

const CHANGES = { tree: 'image', outputs: 'outputs', none: '–' } as const;

function commands(f: AnyField): string {
  const kinds = f.cli?.commands ?? ['disk', 'ramdisk'];
  return kinds.length === 2 ? 'both' : kinds[0] === 'disk' ? 'disk-image-create' : 'ramdisk-image-create';
}

/** Markdown table of every option: flag, variable, spec key, commands, help, what it changes, what hooks get. */
export function optionTableMarkdown(): string {
  const code = (text: string | undefined): string => (text ? `\`${text}\`` : '–');
  const rows = (FIELDS as readonly AnyField[]).map((f) =>
    `| ${code(f.cli?.flags)} | ${code(f.env)} | ${code(f.spec)} | ${commands(f)} | ${f.help.replace(/\|/g, '\\|')} | ${CHANGES[f.cache]} | ${code(f.hook?.name)} |`);
  const head = ['| option | variable | spec key | commands | what it does | changes | hooks get |', '| --- | --- | --- | --- | --- | --- | --- |'];
  return [...head, ...rows].join('\n');
}
