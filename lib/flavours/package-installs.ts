// package-installs: each flavour's package-installs.yaml (or .json), in diskimage-builder's
// format, merged into per-phase install and uninstall lists with DIB's rules (arch/not-arch,
// when, installtype, dib_python_version, build-only, and the install-vs-uninstall precedence).
// The lists are written into the hook tree, where the package-installs flavour's chroot hooks
// read them. Parsing and merging are pure; reading the files is one small function.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';

/** Phases package-installs can target (without `.d`). */
export const PACKAGE_PHASES = ['pre-install', 'install', 'post-install'] as const;
export type PackagePhase = (typeof PACKAGE_PHASES)[number];

/** [package, flavour] pairs per phase. */
export type PackageInstallPlan = Record<PackagePhase, { install: [string, string][]; uninstall: [string, string][] }>;

/** One rule for one package, as written in the YAML. */
type Rule = Record<string, unknown>;

/** A flavour's parsed file. */
export interface FlavourPackages {
  flavour: string;
  file: string;
  packages: Record<string, Rule[]>;
}

/** Parses the text of a package-installs.yaml/.json file. */
export function parsePackageInstalls(flavour: string, file: string, text: string): FlavourPackages {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`not valid YAML: ${(error as Error).message.split('\n')[0]}`, file, 'package-installs.yaml maps package names to nothing, a rule, or a list of rules');
  }
  if (data === null || data === undefined) return { flavour, file, packages: {} };
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError('must map package names to rules', file);
  const packages: Record<string, Rule[]> = {};
  for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
    if (value === null || value === undefined) packages[name] = [{}];
    else if (Array.isArray(value)) packages[name] = value.map((v) => checkRule(v, name, file));
    else packages[name] = [checkRule(value, name, file)];
  }
  return { flavour, file, packages };
}

const KNOWN_KEYS = new Set(['phase', 'uninstall', 'build-only', 'arch', 'not-arch', 'when', 'installtype', 'dib_python_version']);

function checkRule(value: unknown, name: string, file: string): Rule {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`package "${name}": a rule must be a mapping`, file);
  const rule = value as Rule;
  for (const key of Object.keys(rule)) {
    if (!KNOWN_KEYS.has(key)) throw new ConfigError(`package "${name}": unknown key "${key}"`, file, `known keys: ${[...KNOWN_KEYS].join(', ')}`);
  }
  if ('arch' in rule && 'not-arch' in rule) throw new ConfigError(`package "${name}": arch and not-arch cannot both be given`, file);
  const phase = String(rule.phase ?? 'install.d').replace(/\.d$/, '');
  if (!(PACKAGE_PHASES as readonly string[]).includes(phase)) {
    throw new ConfigError(`package "${name}": phase "${String(rule.phase)}" is not one of pre-install.d, install.d, post-install.d`, file);
  }
  return rule;
}

/** Evaluates a `when` condition list (AND); an unset variable is an error, as in DIB. */
export function whenHolds(when: unknown, env: Record<string, string>, where: string): boolean {
  const conditions = Array.isArray(when) ? when : [when];
  return conditions.every((condition) => {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(!=|=)\s*(.*?)\s*$/.exec(String(condition));
    if (!match) throw new ConfigError(`when "${String(condition)}" is not VAR=value or VAR != value`, where);
    const [, name = '', op, value] = match;
    const actual = env[name];
    if (actual === undefined) throw new ConfigError(`when "${String(condition)}": variable ${name} is not set`, where, `set ${name} or change the condition`);
    return op === '=' ? actual === value : actual !== value;
  });
}

function ruleApplies(rule: Rule, flavour: string, env: Record<string, string>, arch: string, where: string): boolean {
  const list = (v: unknown) => String(v).split(',').map((s) => s.trim());
  if ('arch' in rule && !list(rule.arch).includes(arch)) return false;
  if ('not-arch' in rule && list(rule['not-arch']).includes(arch)) return false;
  if ('dib_python_version' in rule && String(rule.dib_python_version) !== (env.DIB_PYTHON_VERSION ?? '3')) return false;
  if ('installtype' in rule) {
    const type = env[`DIB_INSTALLTYPE_${flavour.replace(/-/g, '_')}`] ?? env.DIB_DEFAULT_INSTALLTYPE ?? 'source';
    if (String(rule.installtype) !== type) return false;
  }
  if ('when' in rule && !whenHolds(rule.when, env, where)) return false;
  return true;
}

function emptyPlan(): PackageInstallPlan {
  return { 'pre-install': { install: [], uninstall: [] }, install: { install: [], uninstall: [] }, 'post-install': { install: [], uninstall: [] } };
}

/** Merges every flavour's packages into per-phase lists with DIB's precedence rules (pure). */
export function mergePackageInstalls(files: readonly FlavourPackages[], env: Record<string, string>, arch: string): PackageInstallPlan {
  const plan = emptyPlan();
  for (const { flavour, file, packages } of files) {
    for (const [pkg, rules] of Object.entries(packages)) {
      for (const rule of rules) {
        if (!ruleApplies(rule, flavour, env, arch, file)) continue;
        const lists = plan[String(rule.phase ?? 'install.d').replace(/\.d$/, '') as PackagePhase];
        const installed = lists.install.some(([p]) => p === pkg);
        const uninstalling = lists.uninstall.some(([p]) => p === pkg);
        if ('uninstall' in rule) {
          if (!installed && !uninstalling) lists.uninstall.push([pkg, flavour]);
        } else if ('build-only' in rule) {
          if (!installed) {
            lists.install.push([pkg, flavour]);
            if (!uninstalling) lists.uninstall.push([pkg, flavour]);
          }
        } else {
          lists.uninstall = lists.uninstall.filter(([p]) => p !== pkg);
          if (!installed) lists.install.push([pkg, flavour]);
        }
      }
    }
  }
  return plan;
}

/** Reads each flavour's package-installs.yaml and .json and merges them. */
export async function collectPackageInstalls(flavours: readonly { name: string; path: string }[], env: Record<string, string>, arch: string): Promise<PackageInstallPlan> {
  const files: FlavourPackages[] = [];
  for (const flavour of flavours) {
    for (const name of ['package-installs.yaml', 'package-installs.json']) {
      const file = join(flavour.path, name);
      if (existsSync(file)) files.push(parsePackageInstalls(flavour.name, file, readFileSync(file, 'utf8')));
    }
  }
  return mergePackageInstalls(files, env, arch);
}

/** The files written into the hook tree: `package-installs/<phase>.install|uninstall`, `pkg flavour` lines. */
export function renderPackageInstallFiles(plan: PackageInstallPlan): Record<string, string> {
  const files: Record<string, string> = {};
  for (const phase of PACKAGE_PHASES) {
    for (const kind of ['install', 'uninstall'] as const) {
      files[`package-installs/${phase}.${kind}`] = plan[phase][kind].map(([pkg, flavour]) => `${pkg} ${flavour}\n`).join('');
    }
  }
  return files;
}
