// The command line shared by kiln-server and kiln-worker: one option per setting of the service
// configuration table (lib/service/config.ts), --config, help naming each setting's file key,
// variable and default, and the checks both commands make.
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { DEFAULT_CONFIG_FILE, fieldsFor, loadServiceConfig, type ConfigField, type ConfigFlags, type ServiceConfig } from '../service/config.js';
import { buildCommandHas } from '../service/validate.js';
import { kilnVersion } from '../version.js';

/** commander's property name of a flag (`--base-dir <dir>` → baseDir). */
function optionKey(flag: string): string {
  return flag.split(' ')[0]!.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Adds one option per configuration field, each help line naming its file key and variable. */
function addConfigOptions(program: Command, fields: ConfigField[]): Command {
  program.option('--config <file>', `configuration file (default $KILN_CONFIG, else ${DEFAULT_CONFIG_FILE} if it exists)`);
  for (const field of fields) {
    if (!field.flag) continue;
    const origin = `[file: ${[field.key, ...(field.aliases ?? [])].join(' or ')}; env: ${field.env}${field.defaultText ? `; default: ${field.defaultText}` : ''}]`;
    program.option(field.flag, `${field.help} ${origin}`);
  }
  const fileOnly = fields.filter((f) => !f.flag && f.help).map((f) => `  ${f.key.padEnd(14)} ${f.help} [env: ${f.env}]`).join('\n');
  return program.addHelpText('after', `\nSettings without a flag:\n${fileOnly}\n\nPrecedence: the configuration file, then environment variables, then flags (each overrides the one before).`);
}

/** The flags given, by configuration key. */
function configFlags(program: Command, fields: ConfigField[]): ConfigFlags {
  const opts = program.opts<Record<string, string | undefined>>();
  return Object.fromEntries(fields.filter((f) => f.flag).map((f) => [f.key, opts[optionKey(f.flag)]]));
}

/** A parsed service command line. */
export interface ServiceCommandLine {
  config: ServiceConfig;
  /** Whether base_url was set (else a server on --port 0 derives it from the port it got). */
  baseUrlGiven: boolean;
  /** Prints one line of what the command does, prefixed with its name. */
  log: (line: string) => void;
}

/** Parses kiln-server's or kiln-worker's command line and reads the configuration. */
export function parseServiceCommand(name: 'kiln-server' | 'kiln-worker', description: string, examples: string, argv: string[]): ServiceCommandLine {
  const fields = fieldsFor(name === 'kiln-server' ? 'server' : 'worker');
  const program = addConfigOptions(new Command(name).description(description), fields)
    .version(kilnVersion(), '--version', 'print the kiln version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .addHelpText('after', examples)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  program.parse(argv, { from: 'user' });
  const flags = configFlags(program, fields);
  const config = loadServiceConfig(flags, process.env, program.opts<{ config?: string }>().config);
  if (config.useVm && !buildCommandHas('--vm')) {
    throw new UsageError('use_vm is set, but this kiln cannot build inside a VM (disk-image-create has no --vm)', 'set use_vm = no, or update kiln');
  }
  return {
    config,
    baseUrlGiven: flags.base_url !== undefined || process.env.KILN_BASE_URL !== undefined,
    log: (line) => void process.stderr.write(`${name}: ${line}\n`),
  };
}

/** Resolves once `signal` is aborted (Ctrl-C, SIGTERM). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}
