// The command line of disk-image-create and ramdisk-image-create, and of the jobs the build service
// checks: the commander options derived from the option table (lib/config/fields.ts), --spec, help
// with examples and the phase table. Beside the build spec: both turn into the same request.
import { Command, Option } from 'commander';
import { kilnVersion } from '../version.js';
import { flagName, type AnyField } from '../config/field-spec.js';
import { FIELDS, type FieldKey } from '../config/fields.js';
import { buildRequest, fieldApplies, type CliValue, type CliValues } from '../config/parse-options.js';
import type { BuildKind, BuildRequest } from '../config/build-request.js';
import { PHASES } from '../flavours/phases.js';
import { UsageError } from '../errors.js';
import type { EventSink } from '../report/events.js';
import { jsonLinesSink, parseProgressFd } from '../report/json-lines.js';
import { loadSpec } from './load.js';
import { specRequest } from './request.js';

/** The phase table as help text. */
function phaseHelp(): string {
  const width = Math.max(...PHASES.map((p) => p.dir.length));
  return PHASES.map((p) => `  ${p.dir.padEnd(width)}  ${p.where.padEnd(6)}  ${p.purpose}`).join('\n');
}

/** The variables a command's options read, as help text. */
function variableHelp(kind: BuildKind): string {
  const fields = (FIELDS as readonly AnyField[]).filter((f) => f.env && fieldApplies(f, kind));
  const width = Math.max(...fields.map((f) => f.env!.length));
  return fields.map((f) => `  ${f.env!.padEnd(width)}  ${f.cli ? `as ${flagName(f)}` : f.help}`).join('\n');
}

/** Flags of the command itself, not of the build. */
export interface CommandFlags {
  dryRun?: boolean;
  json?: boolean;
  debug?: boolean;
  progressFd?: string;
  spec?: string;
}

/** The commander option of a field: counts and lists accumulate, as DIB's -x and -p do. */
function fieldOption(f: AnyField): Option {
  const option = new Option(f.cli!.flags, f.help);
  if (f.type === 'count') option.argParser((_: string, previous: number | undefined) => (previous ?? 0) + 1);
  if (f.type === 'list') option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  return option;
}

/** The fields that are options of this command, with their commander options. */
function commandFields(kind: BuildKind): { field: AnyField; option: Option }[] {
  return (FIELDS as readonly AnyField[]).filter((f) => f.cli && fieldApplies(f, kind)).map((f) => ({ field: f, option: fieldOption(f) }));
}

/** Defines a build command: its own flags and every option of the table that it has. */
export function defineBuildCommand(name: string, kind: BuildKind, description: string, examples: string): Command {
  const program = new Command(name)
    .description(description)
    .version(kilnVersion(), '--version', 'print the kiln version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .argument('[flavours...]', 'flavours to mix into the image (an operating-system flavour is required)')
    .option('--spec <file>', 'take the build from a spec (JSON or YAML file, - for standard input); options given here win');
  for (const { option } of commandFields(kind)) program.addOption(option);
  program
    .option('--dry-run', 'print the build plan and exit: needs no root and changes nothing')
    .option('--json', 'with --dry-run: print the plan as one JSON document')
    .option('--debug', 'show stack traces and the exact commands kiln runs')
    .option('--progress-fd <fd>', 'also write every build event as one JSON line to this open file descriptor (for programs driving kiln)');
  const help = [`Variables (read when no flag sets the option):\n${variableHelp(kind)}`, `Phases (hooks run in this order; numbers in hook names order them):\n${phaseHelp()}`, `Examples:\n${examples}`];
  return program.addHelpText('after', `\n${help.join('\n\n')}\n`);
}

/** The values given on the command line, by field key (`--no-tmpfs` given: true). */
function cliValues(program: Command, kind: BuildKind): CliValues {
  const opts = program.opts<Record<string, CliValue>>();
  const values: CliValues = {};
  for (const { field, option } of commandFields(kind)) {
    const attribute = option.attributeName();
    if (program.getOptionValueSource(attribute) === 'cli') values[field.key as FieldKey] = opts[attribute]!;
  }
  return values;
}

/** The extra event sinks the flags ask for (`--progress-fd`). */
export function progressSinks(flags: CommandFlags): EventSink[] {
  if (flags.progressFd === undefined) return [];
  const fd = parseProgressFd(flags.progressFd);
  if (fd === undefined) throw new UsageError(`--progress-fd "${flags.progressFd}" is not a file descriptor number`, 'pass the number of a descriptor you opened, e.g. --progress-fd 3');
  return [jsonLinesSink(fd)];
}

/** Parses argv into flags and a request (throws CommanderError or UsageError); the build service passes a job's own environment. */
export function parseBuildArgs(
  program: Command,
  kind: BuildKind,
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): { flags: CommandFlags; request: BuildRequest } {
  program.exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  program.parse(argv, { from: 'user' });
  const flags = program.opts<CommandFlags>();
  const values = cliValues(program, kind);
  if (flags.spec !== undefined) {
    const cli = { values, flavours: program.args };
    return { flags, request: { ...specRequest(loadSpec(flags.spec), { kind, env, cwd, cli }), argv } };
  }
  const request = { ...buildRequest(kind, program.args, values, env, cwd), argv };
  return { flags, request };
}
