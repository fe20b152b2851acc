// The environment hooks see, with the origin of every variable. Flavours' environment.d files
// come in two kinds: plain `KEY=VALUE` files, parsed with dotenv so their values show in the
// plan (a variable the user already set wins, as dotenv does), and shell snippets, which are
// sourced before each hook exactly as diskimage-builder does. Order: byte order of file names
// across all flavours. Pure.
import { parse as parseDotenv } from 'dotenv';
import { OPTION_ENV_NAMES } from '../config/field-views.js';
import { UsageError } from '../errors.js';
import { compareBytes } from '../flavours/hooks.js';

/** One variable of the plan's environment. */
export interface EnvVar {
  name: string;
  value: string;
  /** Where the value comes from: `environment`, `kiln`, `--option`, or a flavour's file. */
  source: string;
}

/** An environment.d file after classification. */
export interface EnvFile {
  flavour: string;
  name: string;
  path: string;
  kind: 'plain' | 'shell';
  /** For plain files: the parsed variables. For shell files: statically visible assignments. */
  vars: Record<string, string>;
}

/** environment.d names accepted (dots allowed here, unlike hooks, as in DIB). */
export const ENV_FILE_NAME = /^[0-9A-Za-z_.-]+$/;

const PLAIN_LINE = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"$`\\]*"|[^\s$`"'\\;&|<>()]*)\s*(?:#.*)?$/;

/** True if every meaningful line is a literal assignment that dotenv reads exactly as bash would. */
export function isPlainEnvFile(text: string): boolean {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
    .every((line) => PLAIN_LINE.test(line));
}

/** Assignments visible in a shell snippet: `export X=...`, with `${X:-default}` read as its default. */
export function shellAssignments(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    const [, name = '', raw = ''] = match;
    const unquoted = raw.trim().replace(/^"(.*)"$/, '$1');
    const fallback = new RegExp(`^\\$\\{${name}:?-(.*)\\}$`).exec(unquoted);
    vars[name] = fallback ? fallback[1]! : unquoted;
  }
  return vars;
}

/** Classifies an environment.d file from its text. */
export function classifyEnvFile(flavour: string, name: string, path: string, text: string): EnvFile {
  if (isPlainEnvFile(text)) {
    const parsed = parseDotenv(text.replace(/^\s*export\s+/gm, ''));
    return { flavour, name, path, kind: 'plain', vars: parsed };
  }
  return { flavour, name, path, kind: 'shell', vars: shellAssignments(text) };
}

/** Orders all flavours' environment.d files by file name (byte order); a name in two flavours is an error. */
export function orderEnvFiles(files: readonly EnvFile[]): EnvFile[] {
  const seen = new Map<string, EnvFile>();
  for (const file of files) {
    const other = seen.get(file.name);
    if (other) {
      throw new UsageError(
        `environment.d/${file.name} exists in flavour "${other.flavour}" (${other.path}) and in flavour "${file.flavour}" (${file.path})`,
        'rename one of them: environment.d files of all flavours share one folder',
      );
    }
    seen.set(file.name, file);
  }
  return [...files].sort((a, b) => compareBytes(a.name, b.name));
}

/** Variables of the user's environment that reach hooks (DIB passes its DIB_* variables on);
 * those an option reads reach them as the option's validated value instead. */
export function userVariables(env: Record<string, string | undefined>): EnvVar[] {
  const passed = /^(DIB_|KILN_|FS_TYPE$|http_proxy$|https_proxy$|no_proxy$|HTTP_PROXY$|HTTPS_PROXY$|NO_PROXY$)/;
  return Object.entries(env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && passed.test(entry[0]) && !OPTION_ENV_NAMES.has(entry[0]))
    .sort(([a], [b]) => compareBytes(a, b))
    .map(([name, value]) => ({ name, value, source: 'environment' }));
}

/**
 * Merges, lowest priority first: flavour files (in order; later files override earlier ones),
 * then the user's variables, then kiln's own. Shell snippets are listed with their visible
 * defaults, marked as evaluated before each hook.
 */
export function mergeEnvironment(files: readonly EnvFile[], user: readonly EnvVar[], kiln: readonly EnvVar[]): EnvVar[] {
  const merged = new Map<string, EnvVar>();
  for (const file of files) {
    const suffix = file.kind === 'shell' ? ' (shell, sourced before each hook)' : '';
    for (const [name, value] of Object.entries(file.vars)) {
      merged.set(name, { name, value, source: `${file.flavour}/environment.d/${file.name}${suffix}` });
    }
  }
  for (const v of user) merged.set(v.name, v);
  for (const v of kiln) merged.set(v.name, v);
  return [...merged.values()];
}

/** The variables that are set by plain files or by kiln/user (what the engine exports directly). */
export function exportedValues(vars: readonly EnvVar[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of vars) if (!v.source.endsWith('(shell, sourced before each hook)')) out[v.name] = v.value;
  return out;
}
