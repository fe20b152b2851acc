// container-config.yaml: what a flavour sets in the image config of the container outputs (oci,
// oci-archive, docker): entrypoint, cmd, environment, labels, working folder, user, ports,
// volumes, stop signal. Keys are the Dockerfile instructions in lower case. Flavours form a set,
// not an order, so two flavours may add labels, variables, ports and volumes side by side but
// may not give one setting different values: that is an error naming both. Pure.
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';

/** The image settings the flavours chose (absent fields keep kiln's defaults). */
export interface ContainerConfig {
  /** Exec-form ENTRYPOINT. */
  entrypoint?: string[];
  /** Exec-form CMD (arguments to the entrypoint, or the command when there is none). */
  cmd?: string[];
  /** Environment variables of processes in the container. */
  env: Record<string, string>;
  /** Image labels (`org.opencontainers.image.*` and the like). */
  labels: Record<string, string>;
  /** Absolute folder the process starts in. */
  workingDir?: string;
  /** `name`, `uid`, `name:group` or `uid:gid`. */
  user?: string;
  /** `PORT/tcp` or `PORT/udp`. */
  exposedPorts: string[];
  /** Absolute folders meant to be volumes. */
  volumes: string[];
  /** Signal that stops the container (SIGTERM, SIGRTMIN+3, ...). */
  stopSignal?: string;
}

/** One flavour's file. */
export interface FlavourContainerConfig {
  flavour: string;
  file: string;
  config: ContainerConfig;
}

/** The file name in a flavour folder. */
export const CONTAINER_CONFIG_FILE = 'container-config.yaml';

const KEYS = ['entrypoint', 'cmd', 'env', 'labels', 'working-dir', 'user', 'exposed-ports', 'volumes', 'stop-signal'];
const HINT = `keys: ${KEYS.join(', ')}; e.g. "entrypoint: [/usr/bin/app, --serve]" (see README "Container images")`;

/** An empty config: kiln's defaults everywhere. */
export function emptyContainerConfig(): ContainerConfig {
  return { env: {}, labels: {}, exposedPorts: [], volumes: [] };
}

type Fail = (message: string) => never;

function stringList(value: unknown, key: string, fail: Fail): string[] {
  if (typeof value === 'string') fail(`${key} must be a list (exec form), e.g. ${key}: ["/bin/sh", "-c", "${value}"]`);
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' && typeof v !== 'number')) fail(`${key} must be a list of strings`);
  return (value as unknown[]).map(String);
}

function stringMap(value: unknown, key: string, fail: Fail, name?: RegExp): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${key} must map names to values`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (name && !name.test(k)) fail(`${key}: "${k}" is not a valid variable name`);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') fail(`${key}: the value of "${k}" must be a string`);
    out[k] = String(v);
  }
  return out;
}

function absolute(value: unknown, key: string, fail: Fail): string {
  if (typeof value !== 'string' || !value.startsWith('/')) fail(`${key} must be an absolute path`);
  return value as string;
}

function port(value: unknown, fail: Fail): string {
  const match = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(String(value));
  if (!match || Number(match[1]) < 1 || Number(match[1]) > 65535) fail(`exposed-ports: "${String(value)}" is not PORT or PORT/tcp|udp|sctp`);
  return `${Number(match![1])}/${match![2] ?? 'tcp'}`;
}

function scalar(value: unknown, key: string, fail: Fail, pattern: RegExp): string {
  if ((typeof value !== 'string' && typeof value !== 'number') || !pattern.test(String(value))) fail(`${key}: "${String(value)}" is not valid`);
  return String(value);
}

function readKey(config: ContainerConfig, key: string, value: unknown, fail: Fail): void {
  switch (key) {
    case 'entrypoint': config.entrypoint = stringList(value, key, fail); break;
    case 'cmd': config.cmd = stringList(value, key, fail); break;
    case 'env': config.env = stringMap(value, key, fail, /^[A-Za-z_][A-Za-z0-9_]*$/); break;
    case 'labels': config.labels = stringMap(value, key, fail); break;
    case 'working-dir': config.workingDir = absolute(value, key, fail); break;
    case 'user': config.user = scalar(value, key, fail, /^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$/); break;
    case 'exposed-ports':
      if (!Array.isArray(value)) fail('exposed-ports must be a list, e.g. [8080, 53/udp]');
      config.exposedPorts = (value as unknown[]).map((p) => port(p, fail));
      break;
    case 'volumes':
      if (!Array.isArray(value)) fail('volumes must be a list of absolute paths');
      config.volumes = (value as unknown[]).map((v) => absolute(v, 'volumes', fail));
      break;
    case 'stop-signal': config.stopSignal = scalar(value, key, fail, /^(SIG[A-Z0-9+]+|\d+)$/); break;
    default: fail(`unknown key "${key}"`);
  }
}

/** Parses one flavour's container-config.yaml; errors name the file and the key. */
export function parseContainerConfig(flavour: string, file: string, text: string): FlavourContainerConfig {
  const fail: Fail = (message) => {
    throw new ConfigError(message, file, HINT);
  };
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    fail(`not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const config = emptyContainerConfig();
  if (data === null || data === undefined) return { flavour, file, config };
  if (typeof data !== 'object' || Array.isArray(data)) fail('must be a mapping of settings');
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) readKey(config, key, value, fail);
  return { flavour, file, config };
}

type Single = 'entrypoint' | 'cmd' | 'workingDir' | 'user' | 'stopSignal';
/** The settings one flavour at most may give, with their names in the file. */
const SINGLES: Record<Single, string> = { entrypoint: 'entrypoint', cmd: 'cmd', workingDir: 'working-dir', user: 'user', stopSignal: 'stop-signal' };

function conflict(what: string, first: FlavourContainerConfig, second: FlavourContainerConfig, a: unknown, b: unknown): ConfigError {
  return new ConfigError(
    `${what} is set to ${JSON.stringify(a)} by flavour ${first.flavour} (${first.file}) and to ${JSON.stringify(b)} by flavour ${second.flavour} (${second.file})`,
    undefined, 'flavours are a set, not an order: set it in one flavour only',
  );
}

function mergeMap(into: Record<string, string>, owners: Map<string, FlavourContainerConfig>, from: Record<string, string>, source: FlavourContainerConfig, what: string): void {
  for (const [k, v] of Object.entries(from)) {
    const owner = owners.get(k);
    if (owner && into[k] !== v) throw conflict(`${what} ${k}`, owner, source, into[k], v);
    into[k] = v;
    owners.set(k, source);
  }
}

/** Merges the flavours' files: maps and lists are joined, a setting given two values is an error. */
export function mergeContainerConfigs(files: readonly FlavourContainerConfig[]): ContainerConfig {
  const merged = emptyContainerConfig();
  const singles = new Map<Single, FlavourContainerConfig>();
  const envOwners = new Map<string, FlavourContainerConfig>();
  const labelOwners = new Map<string, FlavourContainerConfig>();
  for (const file of files) {
    for (const key of Object.keys(SINGLES) as Single[]) {
      const value = file.config[key];
      if (value === undefined) continue;
      const owner = singles.get(key);
      if (owner && JSON.stringify(merged[key]) !== JSON.stringify(value)) throw conflict(SINGLES[key], owner, file, merged[key], value);
      (merged as unknown as Record<string, unknown>)[key] = value;
      singles.set(key, file);
    }
    mergeMap(merged.env, envOwners, file.config.env, file, 'env');
    mergeMap(merged.labels, labelOwners, file.config.labels, file, 'label');
    merged.exposedPorts = [...new Set([...merged.exposedPorts, ...file.config.exposedPorts])].sort();
    merged.volumes = [...new Set([...merged.volumes, ...file.config.volumes])].sort();
  }
  return merged;
}
