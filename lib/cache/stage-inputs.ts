// Reads what the layer keys are computed from: the contents of the plan's hooks and flavour
// files, the package lists, and the host files flavours declare in `cache-inputs`. Used by the
// dry run and the build alike, so the plan says exactly what the build will do.
import { readFileSync, statSync } from 'node:fs';
import { optionKeyLines } from '../config/field-views.js';
import { exportedValues } from '../plan/environment.js';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import fg from 'fast-glob';
import type { BuildPlan } from '../plan/build-plan.js';
import { PHASES } from '../plan/phases.js';
import { baseKey, chainKeys, KEY_NEUTRAL_VARIABLES, sha256, type StageHook, type StageInputs, type StageKey } from './keys.js';
import { ROOT_STAGES } from './stages.js';

const PHASE_DIRS = new Set([...PHASES.map((p) => p.dir), 'environment.d', 'tests', 'test-elements', '__pycache__', '.git']);

function fileHash(path: string): string {
  try {
    return sha256(readFileSync(path));
  } catch {
    return 'absent';
  }
}

/** `relative sha` lines for every file of a flavour outside its phase folders (bin/, static/, ...). */
function flavourFiles(name: string, dir: string): string[] {
  const files = fg.sync('**/*', { cwd: dir, dot: true, onlyFiles: true, followSymbolicLinks: true })
    .filter((file) => !PHASE_DIRS.has(file.split('/')[0]!))
    .sort();
  return files.map((file) => `file ${name}/${file} ${fileHash(join(dir, file))}`);
}

/** Home of the user who runs the build (the sudo caller, if any). */
function invokingHome(env: Record<string, string | undefined>): string {
  if (env.SUDO_USER && env.SUDO_USER !== 'root') return `/home/${env.SUDO_USER}`;
  return env.HOME ?? homedir() ?? `/home/${userInfo().username}`;
}

/** Above this size a host input is fingerprinted by size and modification time, not hashed:
 * a base image of gigabytes would otherwise cost seconds in every plan. */
const HASH_LIMIT = 64 * 1024 * 1024;

function inputFingerprint(path: string): string {
  try {
    const stat = statSync(path);
    return stat.size > HASH_LIMIT ? `size ${stat.size} mtime ${Math.round(stat.mtimeMs)}` : fileHash(path);
  } catch {
    return 'absent';
  }
}

/** `$NAME` and `${NAME}` replaced from the build's environment (unset: empty). */
export function expandVariables(pattern: string, values: Record<string, string | undefined>): string {
  return pattern.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced: string | undefined, bare: string | undefined) => values[braced ?? bare ?? ''] ?? '');
}

/** `input path fingerprint` lines for the declared host inputs. */
function hostInputs(patterns: string[], env: Record<string, string | undefined>, values: Record<string, string | undefined>): string[] {
  const home = invokingHome(env);
  return patterns.flatMap((pattern) => {
    const expanded = expandVariables(pattern, values).replace(/^~(?=\/|$)/, home);
    if (!expanded.trim()) return [`input ${pattern} unset`];
    const matches = fg.sync(expanded, { dot: true, onlyFiles: true }).sort();
    return matches.length ? matches.map((m) => `input ${m} ${inputFingerprint(m)}`) : [`input ${expanded} absent`];
  });
}

function stageHooks(plan: BuildPlan, phase: string): StageHook[] {
  const hooks = plan.phases.find((p) => p.name === phase)?.hooks ?? [];
  return hooks.map((h) => ({ name: `${phase}.d/${h.name}`, line: `hook ${phase}/${h.name} ${h.flavour} ${fileHash(h.path)}` }));
}

/** Host hooks of `phase` from flavours that declare no `cache-inputs`: `root.d/10-x (flavour)`. */
function unseenHostHooks(plan: BuildPlan, phase: string): string[] {
  const entry = plan.phases.find((p) => p.name === phase);
  if (!entry || entry.where !== 'host') return [];
  return entry.hooks.filter((h) => plan.undeclaredHostReaders.includes(h.flavour)).map((h) => `${entry.dir}/${h.name} (${h.flavour})`);
}

/** Computes every stage's key for `plan`; `packageLists` are the generated package-installs files. */
export function stageKeys(plan: BuildPlan, packageLists: Record<string, string>): StageKey[] {
  const environment = plan.environment
    .filter((v) => !KEY_NEUTRAL_VARIABLES.has(v.name))
    .map((v) => [v.name, v.value] as [string, string])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const files = [
    ...plan.envFiles.map((f) => `envfile ${f.name} ${fileHash(f.path)}`),
    ...plan.flavours.flatMap((f) => flavourFiles(f.name, f.path)),
    ...hostInputs(plan.cacheInputs, plan.request.env, { ...plan.request.env, ...exportedValues(plan.environment) }),
  ];
  const base = baseKey({ options: optionKeyLines(plan.request, 'tree'), flavours: plan.flavours.map((f) => f.name), environment, files });
  const stages: StageInputs[] = ROOT_STAGES.map((stage) => {
    const phase = stage.phase;
    const hooks = phase ? stageHooks(plan, phase) : [];
    const firstBoot = stage.name === 'post-install' ? stageHooks(plan, 'first-boot').map((h) => h.line) : [];
    const lists = Object.entries(packageLists)
      .filter(([file, text]) => phase !== undefined && text !== '' && file.startsWith(`package-installs/${phase}.`))
      .map(([file, text]) => `list ${file} ${sha256(text)}`);
    const packages = plan.request.packages;
    const extra = stage.name === 'packages' ? (packages.length ? [`packages ${packages.join(' ')}`] : []) : [...lists, ...firstBoot];
    const alwaysRun = plan.alwaysRun.filter((h) => phase !== undefined && (h.startsWith(`${phase}.d/`) || (stage.name === 'post-install' && h.startsWith('first-boot.d/'))));
    return { stage, hooks, extra, alwaysRun, unseen: phase ? unseenHostHooks(plan, phase) : [] };
  });
  return chainKeys(base, stages);
}
