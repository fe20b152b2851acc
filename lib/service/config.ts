// The build service's settings: one table of fields (IMG's names where IMG had the setting),
// read from the configuration file, then the environment, then command-line flags (each one
// overriding the one before). The same table makes the flags and their --help.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { closeNames } from '../flavours/suggest.js';
import { parseBytes } from '../config/size.js';
import { parseConfigText } from './config-file.js';

/** Everything kiln-server and kiln-worker are configured with. */
export interface ServiceConfig {
  /** The configuration file read, if any. */
  configFile: string | undefined;
  /** Address the HTTP server listens on. */
  host: string;
  port: number;
  /** Folder of the job store and the workers' build folders. */
  stateDir: string;
  /** Where finished files go (IMG's base_dir). */
  baseDir: string;
  /** URL at which baseDir is served (IMG's base_url), without a trailing slash. */
  baseUrl: string;
  /** Serve baseDir at /files/ from kiln-server itself. */
  serveBaseDir: boolean;
  /** Builds running at once inside kiln-server (IMG's num_workers). */
  workers: number;
  /** Script run after every successful job (IMG's post_creation). */
  postCreation: string | undefined;
  /** Build inside a throwaway VM (IMG's use_kvm): passes --vm to the build command. */
  useVm: boolean;
  /** Extra build-command options for every job (IMG's mic_opts), comma-separated in the file. */
  kilnOpts: string[];
  /** Folders of flavours the service offers, before kiln's own. */
  flavoursPath: string | undefined;
  /** kiln's cache folder shared by all builds of this machine. */
  imageCache: string;
  /** Where workers build (one folder per job). */
  workDir: string;
  /** User builds run as when the service runs as root (empty: root). */
  buildUser: string | undefined;
  /** Whether reading jobs, logs and the page needs no token. */
  publicRead: boolean;
  /** API tokens: token → user. */
  tokens: Map<string, string>;
  /** Whether submissions may upload flavours (they run as root on the build host in host mode). */
  allowUploads: boolean;
  /** Largest accepted submission (uploaded flavours included), in bytes. */
  maxUpload: number;
  /** A build running longer is stopped and ends ERROR (0: no limit). */
  buildTimeoutMinutes: number;
  /** RabbitMQ URL; empty: the embedded queue. */
  amqpUrl: string | undefined;
  /** Deliveries of one job before it is dead-lettered as a worker killer. */
  maxDeliveries: number;
  /** The server a remote worker uploads results to (when base_dir is not shared). */
  serverUrl: string | undefined;
  /** The token a remote worker uploads with. */
  workerToken: string | undefined;
  /** The name this worker reports (default host:pid). */
  workerName: string | undefined;
}

/** Which command a field belongs to. */
type Scope = 'server' | 'worker' | 'both';

/** One setting: its file key (with IMG aliases), flag, environment variable and parser. */
export interface ConfigField {
  key: string;
  aliases?: string[];
  flag: string;
  env: string;
  help: string;
  scope: Scope;
  /** Shown in --help when the default is not obvious. */
  defaultText?: string;
  /** Applies a raw value to the settings being built; throws a message on a bad value. */
  apply(raw: string, into: Partial<ServiceConfig>): void;
}

const yes = ['yes', 'true', '1', 'on'];
const no = ['no', 'false', '0', 'off'];

function bool(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (yes.includes(value)) return true;
  if (no.includes(value)) return false;
  throw new Error(`expected yes or no, got "${raw}"`);
}

function integer(raw: string, min: number): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) throw new Error(`expected a whole number of at least ${min}, got "${raw}"`);
  return Number(raw);
}

function url(raw: string): string {
  try {
    const parsed = new URL(raw);
    if (!/^(https?|amqps?):$/.test(parsed.protocol)) throw new Error();
  } catch {
    throw new Error(`expected a URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

function path(raw: string): string {
  if (raw.trim() === '') throw new Error('expected a path, got nothing');
  return resolve(raw);
}

function tokens(raw: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [user, token] = pair.split(':', 2);
    if (!user || !token) throw new Error(`expected user:token pairs, got "${pair}"`);
    map.set(token, user);
  }
  return map;
}

/** Every setting of kiln-server and kiln-worker. */
const CONFIG_FIELDS: readonly ConfigField[] = [
  { key: 'host', flag: '--host <address>', env: 'KILN_HOST', scope: 'server', defaultText: '127.0.0.1', help: 'address to listen on (0.0.0.0 for every interface)', apply: (r, c) => void (c.host = r) },
  { key: 'port', flag: '--port <n>', env: 'KILN_PORT', scope: 'server', defaultText: '8080', help: 'TCP port to listen on (0: any free port)', apply: (r, c) => void (c.port = integer(r, 0)) },
  { key: 'state_dir', flag: '--state-dir <dir>', env: 'KILN_STATE_DIR', scope: 'both', defaultText: '/var/lib/kiln as root, else ~/.local/state/kiln', help: 'folder of the job store and the build folders', apply: (r, c) => void (c.stateDir = path(r)) },
  { key: 'base_dir', flag: '--base-dir <dir>', env: 'KILN_BASE_DIR', scope: 'both', defaultText: 'STATE_DIR/images', help: 'where finished images and logs are published (shared between machines, e.g. over NFS, or local)', apply: (r, c) => void (c.baseDir = path(r)) },
  { key: 'base_url', flag: '--base-url <url>', env: 'KILN_BASE_URL', scope: 'both', defaultText: 'http://HOST:PORT/files', help: 'URL at which base_dir is served', apply: (r, c) => void (c.baseUrl = url(r)) },
  { key: 'serve_base_dir', flag: '--serve-base-dir <yes|no>', env: 'KILN_SERVE_BASE_DIR', scope: 'server', defaultText: 'yes', help: 'serve base_dir at /files/ (say no when another web server serves it at base_url)', apply: (r, c) => void (c.serveBaseDir = bool(r)) },
  { key: 'workers', aliases: ['num_workers'], flag: '--workers <n>', env: 'KILN_WORKERS', scope: 'server', defaultText: '1 (0 with --amqp)', help: 'builds kiln-server runs at once itself', apply: (r, c) => void (c.workers = integer(r, 0)) },
  { key: 'post_creation', flag: '--post-creation <script>', env: 'KILN_POST_CREATION', scope: 'both', help: "script run after each successful job, with the job's details in KILN_JOB_* variables", apply: (r, c) => void (c.postCreation = path(r)) },
  { key: 'use_vm', aliases: ['use_kvm'], flag: '--use-vm <yes|no>', env: 'KILN_USE_VM', scope: 'both', defaultText: 'no', help: 'build inside a throwaway VM (passes --vm to the build): the answer for untrusted submitters', apply: (r, c) => void (c.useVm = bool(r)) },
  { key: 'kiln_opts', aliases: ['mic_opts'], flag: '--kiln-opts <options>', env: 'KILN_OPTS', scope: 'both', help: 'comma-separated extra build options for every job, e.g. --checksum,--no-tmpfs', apply: (r, c) => void (c.kilnOpts = r.split(',').map((o) => o.trim()).filter(Boolean)) },
  { key: 'flavours_path', flag: '--flavours-path <dirs>', env: 'KILN_FLAVOURS_PATH', scope: 'both', help: "colon-separated folders of the flavours jobs may use, before kiln's own", apply: (r, c) => void (c.flavoursPath = r.split(':').map((d) => resolve(d)).join(':')) },
  { key: 'image_cache', flag: '--image-cache <dir>', env: 'KILN_IMAGE_CACHE', scope: 'both', defaultText: 'STATE_DIR/cache', help: "kiln's cache shared by this machine's builds", apply: (r, c) => void (c.imageCache = path(r)) },
  { key: 'work_dir', flag: '--work-dir <dir>', env: 'KILN_WORK_DIR', scope: 'both', defaultText: 'STATE_DIR/work', help: 'where builds write before their files are published', apply: (r, c) => void (c.workDir = path(r)) },
  { key: 'build_user', flag: '--build-user <user>', env: 'KILN_BUILD_USER', scope: 'both', help: 'when running as root, build as this user (a member of the kiln group allowed by sudoers.d/kiln)', apply: (r, c) => void (c.buildUser = r.trim() || undefined) },
  { key: 'public_read', flag: '--public-read <yes|no>', env: 'KILN_PUBLIC_READ', scope: 'server', defaultText: 'yes', help: 'let anyone read jobs, logs and the page (no: a token is needed for those too)', apply: (r, c) => void (c.publicRead = bool(r)) },
  { key: 'tokens', flag: '', env: 'KILN_TOKENS', scope: 'server', help: 'API tokens as user:token,... (or one "user = token" line each in the [tokens] section of the file)', apply: (r, c) => void (c.tokens = new Map([...(c.tokens ?? []), ...tokens(r)])) },
  { key: 'allow_uploads', flag: '--allow-uploads <yes|no>', env: 'KILN_ALLOW_UPLOADS', scope: 'both', defaultText: 'no', help: 'accept flavours uploaded with a job (their hooks run as root on the build host unless use_vm)', apply: (r, c) => void (c.allowUploads = bool(r)) },
  { key: 'max_upload', flag: '--max-upload <size>', env: 'KILN_MAX_UPLOAD', scope: 'server', defaultText: '16M', help: 'largest submission accepted, uploaded flavours included', apply: (r, c) => void (c.maxUpload = size(r)) },
  { key: 'build_timeout', flag: '--build-timeout <minutes>', env: 'KILN_BUILD_TIMEOUT', scope: 'both', defaultText: '0 (none)', help: 'stop a build that runs longer and mark it ERROR', apply: (r, c) => void (c.buildTimeoutMinutes = integer(r, 0)) },
  { key: 'amqp', flag: '--amqp <url>', env: 'KILN_AMQP', scope: 'both', help: 'RabbitMQ URL amqp://user:pass@host/vhost: jobs go through its queue (default: the embedded queue)', apply: (r, c) => void (c.amqpUrl = url(r)) },
  { key: 'amqp_host', flag: '', env: 'KILN_AMQP_HOST', scope: 'both', help: "IMG's way to name the broker: amqp_host, amqp_user, amqp_pwd, amqp_vhost (used when amqp is not set)", apply: (r, c) => void (amqpParts(c).host = r) },
  { key: 'amqp_user', flag: '', env: 'KILN_AMQP_USER', scope: 'both', help: '', apply: (r, c) => void (amqpParts(c).user = r) },
  { key: 'amqp_pwd', flag: '', env: 'KILN_AMQP_PWD', scope: 'both', help: '', apply: (r, c) => void (amqpParts(c).pwd = r) },
  { key: 'amqp_vhost', flag: '', env: 'KILN_AMQP_VHOST', scope: 'both', help: '', apply: (r, c) => void (amqpParts(c).vhost = r) },
  { key: 'max_deliveries', flag: '--max-deliveries <n>', env: 'KILN_MAX_DELIVERIES', scope: 'both', defaultText: '3', help: 'a job whose worker died this many times ends ERROR instead of being retried', apply: (r, c) => void (c.maxDeliveries = integer(r, 1)) },
  { key: 'server_url', flag: '--server-url <url>', env: 'KILN_SERVER_URL', scope: 'worker', help: 'upload results to this kiln-server instead of writing base_dir (when base_dir is not shared)', apply: (r, c) => void (c.serverUrl = url(r)) },
  { key: 'worker_token', flag: '--worker-token <token>', env: 'KILN_WORKER_TOKEN', scope: 'worker', help: 'token the worker uploads results with (see server_url)', apply: (r, c) => void (c.workerToken = r) },
  { key: 'worker_name', flag: '--worker-name <name>', env: 'KILN_WORKER_NAME', scope: 'worker', defaultText: 'HOST:PID', help: 'name this worker reports', apply: (r, c) => void (c.workerName = r) },
];

function size(raw: string): number {
  const bytes = parseBytes(/^\d+$/.test(raw.trim()) ? `${raw}M` : raw, 'binary');
  if (bytes === undefined || bytes <= 0) throw new Error(`expected a size such as 16M, got "${raw}"`);
  return bytes;
}

/** IMG's separate broker settings, collected until they are joined into a URL. */
interface AmqpParts {
  host?: string;
  user?: string;
  pwd?: string;
  vhost?: string;
}
const amqpPartsOf = new WeakMap<object, AmqpParts>();
function amqpParts(config: Partial<ServiceConfig>): AmqpParts {
  let parts = amqpPartsOf.get(config);
  if (!parts) amqpPartsOf.set(config, (parts = {}));
  return parts;
}

/** amqp://user:pwd@host/vhost from IMG's four settings. */
export function amqpUrlFromParts(parts: AmqpParts): string | undefined {
  if (!parts.host) return undefined;
  const auth = parts.user ? `${encodeURIComponent(parts.user)}:${encodeURIComponent(parts.pwd ?? '')}@` : '';
  const vhost = parts.vhost ? `/${encodeURIComponent(parts.vhost)}` : '';
  return `amqp://${auth}${parts.host}${vhost}`;
}

/** The file read when neither --config nor KILN_CONFIG names one (and it exists). */
export const DEFAULT_CONFIG_FILE = '/etc/kiln/service.conf';

/** The flags given, by field key. */
export type ConfigFlags = Record<string, string | undefined>;

function fieldFor(key: string): ConfigField | undefined {
  return CONFIG_FIELDS.find((f) => f.key === key || f.aliases?.includes(key));
}

function applyOrCollect(field: ConfigField, raw: string, into: Partial<ServiceConfig>, where: string, errors: string[]): void {
  try {
    field.apply(raw, into);
  } catch (error) {
    errors.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function readFileSettings(file: string, into: Partial<ServiceConfig>, errors: string[]): void {
  const known = CONFIG_FIELDS.flatMap((f) => [f.key, ...(f.aliases ?? [])]);
  for (const entry of parseConfigText(readFileSync(file, 'utf8'), file)) {
    const where = `${file}:${entry.line}`;
    if (entry.section === 'tokens') {
      if (!entry.value) errors.push(`${where}: token of user "${entry.key}" is empty`);
      else into.tokens = new Map([...(into.tokens ?? []), [entry.value, entry.key]]);
      continue;
    }
    const field = fieldFor(entry.key);
    if (!field) {
      const close = closeNames(entry.key, known);
      errors.push(`${where}: unknown setting "${entry.key}"${close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)` : ''}`);
      continue;
    }
    applyOrCollect(field, entry.value, into, `${where}: ${entry.key}`, errors);
  }
}

/** Reads file, then environment, then flags; every problem is reported at once. */
export function loadServiceConfig(flags: ConfigFlags, env: Record<string, string | undefined>, configFlag?: string): ServiceConfig {
  const config: Partial<ServiceConfig> = {};
  const errors: string[] = [];
  const file = configFlag ?? env.KILN_CONFIG ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  if (file !== undefined) {
    if (!existsSync(file)) throw new UsageError(`configuration file ${file} does not exist`, 'create it or name another with --config');
    readFileSettings(file, config, errors);
  }
  for (const field of CONFIG_FIELDS) {
    const value = env[field.env];
    if (value !== undefined && value !== '') applyOrCollect(field, value, config, `$${field.env}`, errors);
  }
  for (const field of CONFIG_FIELDS) {
    const value = flags[field.key];
    if (value !== undefined) applyOrCollect(field, value, config, field.flag.split(' ')[0]!, errors);
  }
  if (errors.length) throw new ConfigErrors(errors);
  return withDefaults(config, file, env);
}

function defaultStateDir(env: Record<string, string | undefined>): string {
  if (process.getuid?.() === 0) return '/var/lib/kiln';
  return join(env.XDG_STATE_HOME ?? join(env.HOME ?? homedir(), '.local', 'state'), 'kiln');
}

function withDefaults(c: Partial<ServiceConfig>, file: string | undefined, env: Record<string, string | undefined>): ServiceConfig {
  const host = c.host ?? '127.0.0.1';
  const port = c.port ?? 8080;
  const stateDir = c.stateDir ?? defaultStateDir(env);
  const amqpUrl = c.amqpUrl ?? amqpUrlFromParts(amqpParts(c));
  return {
    configFile: file,
    host, port, stateDir,
    baseDir: c.baseDir ?? join(stateDir, 'images'),
    baseUrl: c.baseUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}/files`,
    serveBaseDir: c.serveBaseDir ?? true,
    workers: c.workers ?? (amqpUrl ? 0 : 1),
    postCreation: c.postCreation,
    useVm: c.useVm ?? false,
    kilnOpts: c.kilnOpts ?? [],
    flavoursPath: c.flavoursPath,
    imageCache: c.imageCache ?? join(stateDir, 'cache'),
    workDir: c.workDir ?? join(stateDir, 'work'),
    buildUser: c.buildUser,
    publicRead: c.publicRead ?? true,
    tokens: c.tokens ?? new Map(),
    allowUploads: c.allowUploads ?? false,
    maxUpload: c.maxUpload ?? 16 * 1024 * 1024,
    buildTimeoutMinutes: c.buildTimeoutMinutes ?? 0,
    amqpUrl,
    maxDeliveries: c.maxDeliveries ?? 3,
    serverUrl: c.serverUrl,
    workerToken: c.workerToken,
    workerName: c.workerName,
  };
}

/** Several configuration problems, one per line. */
export class ConfigErrors extends UsageError {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `${problems.length} problems in the configuration`, 'see --help for every setting, its file key and its environment variable');
  }

  override details(): string[] {
    return this.problems.length === 1 ? [] : this.problems.map((p) => `  ${p}`);
  }
}

/** The fields a command offers, for its --help and its flags. */
export function fieldsFor(command: 'server' | 'worker'): ConfigField[] {
  return CONFIG_FIELDS.filter((f) => f.scope === 'both' || f.scope === command);
}
