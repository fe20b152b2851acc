// package-installs: each flavour's package-installs.yaml (or .json), in diskimage-builder's
// format, merged into per-phase install and uninstall lists with DIB's rules (arch/not-arch,
// when, installtype, dib_python_version, build-only, and the install-vs-uninstall precedence of
// DIB's `collect_data`, duplicates included). The lists are written into the hook tree, where the
// package-installs flavour's chroot hooks read them. Parsing and merging are pure; reading the
// files is one small function.
//
// Deliberate differences from DIB (bin/package-installs-squash):
// - a rule is filtered (arch, installtype, python version, when) before it takes part in the
//   precedence rules; DIB lets a plain install that does not apply to this build still cancel
//   another flavour's uninstall;
// - bad files are errors before the build starts: unknown keys, an unknown phase, and arch with
//   not-arch together (DIB ignores the first two and fails mid-build on the third);
// - `arch: a, b` lists are trimmed (DIB's `map(str.strip, ...)` is a no-op on Python 3).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { PACKAGE_INSTALL_PHASES } from './phases.js';

/** Phases package-installs can target (without `.d`): the chroot phases of the root. */
const PACKAGE_PHASES = PACKAGE_INSTALL_PHASES;

/** [package, flavour] pairs to install and to uninstall in one phase. */
export interface PhasePackages {
  install: [string, string][];
  uninstall: [string, string][];
}

/** [package, flavour] pairs per phase (every one of PACKAGE_PHASES). */
export type PackageInstallPlan = Record<string, PhasePackages>;

/** One rule for one package, as written in the YAML (keys are checked by parsePackageInstalls). */
export type PackageRule = Record<string, unknown>;

/** A flavour's parsed file. */
export interface FlavourPackages {
  /** Flavour that owns the file. */
  flavour: string;
  /** Path of the file, for messages. */
  file: string;
  /** Package name → its alternative rules (a bare name has one empty rule). */
  packages: Record<string, PackageRule[]>;
}

const KNOWN_KEYS = new Set(['phase', 'uninstall', 'build-only', 'arch', 'not-arch', 'when', 'installtype', 'dib_python_version']);
const HINT = 'package-installs.yaml maps package names to nothing, a rule, or a list of rules (see the package-installs flavour README)';

/** Parses the text of a package-installs.yaml/.json file (JSON is YAML too). */
export function parsePackageInstalls(flavour: string, file: string, text: string): FlavourPackages {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`not valid YAML: ${(error as Error).message.split('\n')[0]}`, file, HINT);
  }
  if (data === null || data === undefined) return { flavour, file, packages: {} };
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError('must map package names to rules', file, HINT);
  const packages: Record<string, PackageRule[]> = {};
  for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
    // DIB: `if not params: params = [{}]` (null, '', false, [] and {} all mean "install it").
    if (isEmptyValue(value)) packages[name] = [{}];
    else if (Array.isArray(value)) packages[name] = value.map((v) => checkRule(v, name, file));
    else packages[name] = [checkRule(value, name, file)];
  }
  return { flavour, file, packages };
}

function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined || value === '' || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

function checkRule(value: unknown, name: string, file: string): PackageRule {
  if (value === null || value === undefined || value === '') return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`package "${name}": a rule must be a mapping, got ${JSON.stringify(value)}`, file, HINT);
  const rule = value as PackageRule;
  for (const key of Object.keys(rule)) {
    if (!KNOWN_KEYS.has(key)) throw new ConfigError(`package "${name}": unknown key "${key}"`, file, `known keys: ${[...KNOWN_KEYS].join(', ')}`);
  }
  if ('arch' in rule && 'not-arch' in rule) throw new ConfigError(`package "${name}": arch and not-arch cannot both be given`, file, 'keep one of them');
  if (!(PACKAGE_PHASES as readonly string[]).includes(rulePhase(rule))) {
    throw new ConfigError(`package "${name}": phase "${String(rule.phase)}" is not one of pre-install.d, install.d, post-install.d`, file);
  }
  return rule;
}

function rulePhase(rule: PackageRule): string {
  return String(rule.phase ?? 'install.d').replace(/\.d$/, '');
}

/** Evaluates a `when` condition list (AND); an unset variable is an error, as in DIB. */
function whenHolds(when: unknown, env: Record<string, string>, where: string): boolean {
  const conditions = Array.isArray(when) ? when : [when];
  return conditions.every((condition) => {
    const match = /^\s*(\w+)\s*(!=|=)\s*(.*?)\s*$/.exec(String(condition));
    if (!match) throw new ConfigError(`when "${String(condition)}" is not VAR=value or VAR != value`, where);
    const [, name = '', op, value] = match;
    const actual = env[name];
    if (actual === undefined) throw new ConfigError(`when "${String(condition)}": variable ${name} is not set`, where, `set ${name} (for example in an environment.d file) or change the condition`);
    return op === '=' ? actual === value : actual !== value;
  });
}

/** The install type of a flavour: DIB_INSTALLTYPE_<flavour> or DIB_DEFAULT_INSTALLTYPE, default `source`. */
function installTypeOf(flavour: string, env: Record<string, string>): string {
  return env[`DIB_INSTALLTYPE_${flavour.replace(/-/g, '_')}`] ?? env.DIB_DEFAULT_INSTALLTYPE ?? 'source';
}

/** True if the rule applies to this build; the filters run in DIB's order. */
function ruleApplies(rule: PackageRule, flavour: string, env: Record<string, string>, arch: string, where: string): boolean {
  const list = (v: unknown) => String(v).split(',').map((s) => s.trim());
  if ('installtype' in rule && String(rule.installtype) !== installTypeOf(flavour, env)) return false;
  if ('arch' in rule && !list(rule.arch).includes(arch)) return false;
  if ('not-arch' in rule && list(rule['not-arch']).includes(arch)) return false;
  // kiln images are Python 3 only, so an unset DIB_PYTHON_VERSION means 3 (DIB's dib-python default).
  if ('dib_python_version' in rule && String(rule.dib_python_version) !== (env.DIB_PYTHON_VERSION ?? '3')) return false;
  if ('when' in rule && !whenHolds(rule.when, env, where)) return false;
  return true;
}

/** Adds one applicable rule to a phase's lists with DIB's precedence (collect_data). */
function applyRule(lists: PhasePackages, pkg: string, flavour: string, rule: PackageRule): void {
  const entry: [string, string] = [pkg, flavour];
  const removing = 'uninstall' in rule || 'build-only' in rule;
  if (!removing) {
    // A plain install cancels every earlier uninstall of the package in this phase.
    lists.uninstall = lists.uninstall.filter(([p]) => p !== pkg);
    lists.install.push(entry);
    return;
  }
  const installed = lists.install.some(([p]) => p === pkg);
  const uninstalled = lists.uninstall.some(([p]) => p === pkg);
  if (installed && !uninstalled) {
    // Someone installs it for good: build-only just installs it too, uninstall is dropped.
    if ('build-only' in rule) lists.install.push(entry);
    return;
  }
  if ('build-only' in rule) lists.install.push(entry);
  lists.uninstall.push(entry);
}

function emptyPlan(): PackageInstallPlan {
  return Object.fromEntries(PACKAGE_PHASES.map((phase) => [phase, { install: [], uninstall: [] }]));
}

/** Merges every flavour's packages, in order, into per-phase lists (pure). */
export function mergePackageInstalls(files: readonly FlavourPackages[], env: Record<string, string>, arch: string): PackageInstallPlan {
  const plan = emptyPlan();
  for (const { flavour, file, packages } of files) {
    for (const [pkg, rules] of Object.entries(packages)) {
      for (const rule of rules) {
        if (ruleApplies(rule, flavour, env, arch, file)) applyRule(plan[rulePhase(rule)]!, pkg, flavour, rule);
      }
    }
  }
  return plan;
}

/** Reads each flavour's package-installs.json and .yaml (DIB reads both, JSON first) and merges them. */
export async function collectPackageInstalls(flavours: readonly { name: string; path: string }[], env: Record<string, string>, arch: string): Promise<PackageInstallPlan> {
  const files: FlavourPackages[] = [];
  for (const flavour of flavours) {
    for (const name of ['package-installs.json', 'package-installs.yaml']) {
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
      files[`package-installs/${phase}.${kind}`] = (plan[phase]?.[kind] ?? []).map(([pkg, flavour]) => `${pkg} ${flavour}\n`).join('');
    }
  }
  return files;
}
