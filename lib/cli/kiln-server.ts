// kiln-server: the build service. An HTTP API and web page, a job store, and workers that run
// builds as child processes; with --amqp, workers on other machines take jobs from RabbitMQ.
import { mkdirSync } from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { adminToken } from '../service/admin-token.js';
import { DEFAULT_CONFIG_FILE, fieldsFor, loadServiceConfig, type ConfigField, type ConfigFlags, type ServiceConfig } from '../service/config.js';
import { startService } from '../service/service.js';
import { buildCommandHas } from '../service/validate.js';
import { kilnVersion } from '../version.js';
import { runCommand } from './main.js';

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

const EXAMPLES = `
Examples:
  kiln-server                                       one machine: API, page and 1 worker on http://127.0.0.1:8080
  kiln-server --workers 2 --base-dir /srv/images --base-url https://images.example.com
  kiln-server --amqp amqp://kiln:secret@mq.example.com/kiln --host 0.0.0.0
                                                    workers on other machines (kiln-worker --amqp ...)
`;

function checkSettings(config: ServiceConfig): void {
  if (config.useVm && !buildCommandHas('--vm')) {
    throw new UsageError('use_vm is set, but this kiln cannot build inside a VM yet (disk-image-create has no --vm)', 'set use_vm = no, or update kiln');
  }
}

function waitFor(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

/** Entry point of kiln-server; resolves to the exit code once it was stopped. */
export function main(argv: string[], options: { makeAmqp?: Parameters<typeof startService>[2]['makeAmqp'] } = {}): Promise<number> {
  return runCommand('kiln-server', argv, async (interrupts) => {
    const fields = fieldsFor('server');
    const program = addConfigOptions(
      new Command('kiln-server').description('The kiln build service: submit builds from a web page, kiln-submit or AMQP; workers build them; results are published with image and log URLs.'),
      fields,
    )
      .version(kilnVersion(), '--version', 'print the kiln version and exit')
      .helpOption('-h, --help', 'show this help and exit')
      .addHelpText('after', EXAMPLES)
      .exitOverride()
      .configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    program.parse(argv, { from: 'user' });
    const flags = configFlags(program, fields);
    const config = loadServiceConfig(flags, process.env, program.opts<{ config?: string }>().config);
    checkSettings(config);
    const log = (line: string): void => void process.stderr.write(`kiln-server: ${line}\n`);
    mkdirSync(config.stateDir, { recursive: true });
    if (config.tokens.size === 0) {
      const admin = adminToken(config.stateDir);
      config.tokens.set(admin.token, 'admin');
      log(`no tokens configured: user "admin" has the token in ${admin.file}`);
    }
    const service = await startService(config, log, { baseUrlGiven: flags.base_url !== undefined || process.env.KILN_BASE_URL !== undefined, ...(options.makeAmqp ? { makeAmqp: options.makeAmqp } : {}) });
    const queue = config.amqpUrl ? `RabbitMQ at ${config.amqpUrl.replace(/\/\/[^@]*@/, '//***@')}` : 'the embedded queue';
    log(`listening on ${service.url} (${config.workers} worker${config.workers === 1 ? '' : 's'} here, ${queue}); files in ${config.baseDir} at ${config.baseUrl}/`);
    await waitFor(interrupts.signal);
    log('stopping: running builds clean up and go back to the queue');
    await service.close();
    return 0;
  });
}
