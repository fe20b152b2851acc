// kiln-submit: the command-line client of kiln-server, shaped like IMG's img_client (-k -n -t
// -e -r -a, -p/--poll ID) with --wait, --download and the list, cancel and delete actions.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { c as createTar } from 'tar';
import { KilnError, UsageError } from '../errors.js';
import { ServiceClient } from '../service/client.js';
import type { Job } from '../service/job.js';
import type { Submission } from '../service/submission.js';
import { kilnVersion } from '../version.js';
import { runCommand } from './main.js';

interface SubmitFlags {
  submit?: boolean;
  spec?: string;
  name?: string;
  type?: string;
  email?: string;
  release?: string;
  arch?: string;
  packages: string[];
  env: string[];
  skipBase?: boolean;
  upload?: string;
  poll?: string;
  wait?: boolean;
  download?: string;
  status?: string;
  limit?: string;
  json?: boolean;
  server?: string;
  token?: string;
  tokenFile?: string;
}

const ACTIONS = ['list', 'cancel', 'delete', 'status'] as const;

const EXAMPLES = `
Examples:
  kiln-submit -n web -t qcow2 debian vm my-web       submit; prints the job id
  kiln-submit -n web -t tar --wait --download out debian
                                                    submit, follow the log, fetch the files (exit 1 if the build fails)
  kiln-submit -k spec.json -n web                    submit kiln's JSON build spec (IMG's -k)
  kiln-submit --poll ID                              status of a job (add --wait to follow it)
  kiln-submit list --status BUILDING,QUEUED
  kiln-submit cancel ID        kiln-submit delete ID

The server is --server, else $KILN_SERVER, else http://127.0.0.1:8080. The token is --token, else
$KILN_TOKEN, else the file --token-file, $KILN_TOKEN_FILE or ~/.config/kiln/token.
`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function defineCommand(): Command {
  return new Command('kiln-submit')
    .description('Submit image builds to a kiln build service and follow them.')
    .argument('[flavours-or-action...]', 'flavours to build, or an action: list, status ID, cancel ID, delete ID')
    .option('-s, --submit', 'submit a job (the default when flavours or -k are given; IMG compatibility)')
    .option('-k, --spec <file>', "kiln's JSON build spec ('-' for standard input); IMG's -k")
    .option('-n, --name <name>', 'image name: files are NAME.TYPE (default: image)')
    .option('-t, --type <types>', 'comma-separated output types (default qcow2)')
    .option('-e, --email <address>', "submitter's e-mail address")
    .option('-r, --release <release>', 'release (DIB_RELEASE), e.g. bookworm')
    .option('-a, --arch <arch>', 'architecture (default amd64)')
    .option('--packages <list>', 'extra packages, comma-separated (repeatable)', collect, [])
    .option('--env <KEY=VALUE>', 'a DIB_* variable for the build (repeatable)', collect, [])
    .option('--skip-base', 'leave out the base flavour (-n of disk-image-create)')
    .option('--upload <path>', 'extra flavours: a folder of flavour folders, or a .tar.gz of them')
    .option('-p, --poll <id>', "show a job's status (IMG's -p)")
    .option('-w, --wait', 'follow the log until the job ends; exit 0 if DONE, 1 otherwise')
    .option('-d, --download <dir>', 'after DONE, download every file of the job into this folder')
    .option('--status <list>', 'with list: only jobs in these states (QUEUED,BUILDING,DONE,ERROR,CANCELLED)')
    .option('--limit <n>', 'with list: at most this many jobs', '20')
    .option('--json', 'print JSON')
    .option('--server <url>', 'kiln-server URL')
    .option('--token <token>', 'API token')
    .option('--token-file <file>', 'file holding the API token')
    .version(kilnVersion(), '--version', 'print the kiln version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .addHelpText('after', EXAMPLES);
}

function readToken(flags: SubmitFlags): string | undefined {
  if (flags.token) return flags.token;
  if (process.env.KILN_TOKEN) return process.env.KILN_TOKEN;
  const file = flags.tokenFile ?? process.env.KILN_TOKEN_FILE ?? join(homedir(), '.config', 'kiln', 'token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  if (flags.tokenFile) throw new UsageError(`token file ${flags.tokenFile} does not exist`);
  return undefined;
}

async function uploadArchive(path: string): Promise<string> {
  if (!existsSync(path)) throw new UsageError(`--upload ${path} does not exist`);
  if (statSync(path).isFile()) return readFileSync(path).toString('base64');
  const names = readdirSync(path).filter((n) => statSync(join(path, n)).isDirectory());
  if (!names.length) throw new UsageError(`--upload ${path} holds no flavour folders`);
  const chunks: Buffer[] = [];
  for await (const chunk of createTar({ gzip: true, cwd: path, portable: true }, names) as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('base64');
}

function readSpec(file: string): Record<string, unknown> {
  const text = readFileSync(file === '-' ? 0 : file, 'utf8');
  try {
    const spec: unknown = JSON.parse(text);
    if (spec && typeof spec === 'object' && !Array.isArray(spec)) return spec as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new UsageError(`-k ${file} is not a JSON object`, "give kiln's JSON build spec");
}

async function submission(flags: SubmitFlags, flavours: string[]): Promise<Submission> {
  const environment: Record<string, string> = {};
  for (const pair of flags.env) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--env "${pair}" is not KEY=VALUE`);
    environment[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const packages = flags.packages.flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
  return {
    name: flags.name ?? 'image',
    ...(flavours.length ? { flavours } : {}),
    ...(flags.spec ? { spec: readSpec(flags.spec) } : {}),
    ...(flags.type ? { types: flags.type.split(',').map((t) => t.trim()).filter(Boolean) } : {}),
    ...(flags.email ? { email: flags.email } : {}),
    ...(flags.release ? { release: flags.release } : {}),
    ...(flags.arch ? { arch: flags.arch } : {}),
    ...(packages.length ? { packages } : {}),
    ...(Object.keys(environment).length ? { environment } : {}),
    ...(flags.skipBase ? { skipBase: true } : {}),
    ...(flags.upload ? { upload: await uploadArchive(flags.upload) } : {}),
  };
}

function describe(job: Job): string {
  const lines = [`${job.id}  ${job.name}  ${job.status}${job.phase ? ` (${job.phase})` : ''}`];
  if (job.error) lines.push(`  error: ${job.error.split('\n').join('\n         ')}`);
  for (const url of job.imageUrls) lines.push(`  image: ${url}`);
  lines.push(`  log:   ${job.logUrl}`);
  for (const note of job.notes) lines.push(`  note:  ${note}`);
  return `${lines.join('\n')}\n`;
}

function printJob(job: Job, json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(job, null, 2)}\n` : describe(job));
}

/** Follows, downloads, and turns the final status into the exit code. */
async function follow(client: ServiceClient, job: Job, flags: SubmitFlags): Promise<number> {
  let final = job;
  if (flags.wait) final = await client.followLog(job.id, (text) => void process.stderr.write(text));
  else if (flags.download && final.status !== 'DONE') final = await client.followLog(job.id, () => undefined);
  if (flags.download) {
    if (final.status !== 'DONE') throw new KilnError(`job ${final.id} ended ${final.status}: nothing to download${final.error ? `\n${final.error}` : ''}`);
    for (const file of final.files) process.stdout.write(`${await client.download(file, flags.download)}\n`);
  }
  if (flags.wait || flags.download) {
    process.stderr.write(`kiln-submit: job ${final.id} ${final.status}${final.error ? `: ${final.error.split('\n')[0]}` : ''}\n`);
    return final.status === 'DONE' ? 0 : 1;
  }
  return 0;
}

async function action(client: ServiceClient, name: (typeof ACTIONS)[number], args: string[], flags: SubmitFlags): Promise<number> {
  if (name === 'list') {
    const page = await client.list({ status: flags.status, limit: flags.limit });
    if (flags.json) process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    else for (const job of page.jobs) process.stdout.write(`${job.id}  ${job.status.padEnd(9)}  ${job.name}  ${job.flavours.join(' ')} -> ${job.types.join(',')}\n`);
    return 0;
  }
  const id = args[0];
  if (!id) throw new UsageError(`${name} needs a job id`, `kiln-submit ${name} ID`);
  if (name === 'status') return pollJob(client, id, flags);
  if (name === 'cancel') printJob(await client.cancel(id), flags.json ?? false);
  else process.stdout.write(`${JSON.stringify(await client.remove(id))}\n`);
  return 0;
}

async function pollJob(client: ServiceClient, id: string, flags: SubmitFlags): Promise<number> {
  const job = await client.job(id);
  if (!flags.wait && !flags.download) printJob(job, flags.json ?? false);
  return follow(client, job, flags);
}

/** Entry point of kiln-submit; resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCommand('kiln-submit', argv, async () => {
    const program = defineCommand().exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    program.parse(argv, { from: 'user' });
    const flags = program.opts<SubmitFlags>();
    const client = new ServiceClient((flags.server ?? process.env.KILN_SERVER ?? 'http://127.0.0.1:8080').replace(/\/+$/, ''), readToken(flags));
    const [first, ...rest] = program.args;
    if (first && (ACTIONS as readonly string[]).includes(first) && !flags.submit) return action(client, first as (typeof ACTIONS)[number], rest, flags);
    if (flags.poll) return pollJob(client, flags.poll, flags);
    if (!program.args.length && !flags.spec) throw new UsageError('nothing to do: name flavours to build, -k SPEC, --poll ID or an action', 'see `kiln-submit --help`');
    const job = await client.submit(await submission(flags, program.args));
    if (flags.json) printJob(job, true);
    else process.stdout.write(`${job.id}\n`);
    process.stderr.write(`kiln-submit: queued ${job.name} as ${job.id}: ${client.server}/jobs/${job.id}\n`);
    return follow(client, job, flags);
  });
}
