// The cache keys of a plan: each root stage's layer key, from the contents of the plan's hooks and
// flavour files, the package lists and the host files flavours declare in `cache-inputs`; and the
// output key, which extends the last layer's key with everything the disk and output steps read
// (their hooks, the block-device config, the options that shape outputs). Reads those files.
import { readFileSync, statSync } from 'node:fs';
import { optionKeyLines } from '../config/field-views.js';
import { exportedValues } from './hook-environment.js';
import { join, posix } from 'node:path';
import { invokingHome } from '../environment.js';
import fg from 'fast-glob';
import type { BuildPlan } from './build-plan.js';
import { firstBootPhases, OUTPUT_PHASES, PHASES, ROOT_STAGES } from '../flavours/phases.js';
import { baseKey, chainKeys, KEY_NEUTRAL_VARIABLES, sha256, type StageHook, type StageInputs, type StageKey } from '../cache/keys.js';

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

/** Each declared host input pattern, expanded, with the files it matches. */
function expandHostInputs(patterns: string[], env: Record<string, string | undefined>, values: Record<string, string | undefined>): { pattern: string; expanded: string; matches: string[] }[] {
  const home = invokingHome(env);
  return patterns.map((pattern) => {
    const expanded = expandVariables(pattern, values).replace(/^~(?=\/|$)/, home);
    // suppressErrors: a pattern below a file (${DIB_LOCAL_IMAGE}/index.json for an archive) matches nothing.
    return { pattern, expanded, matches: expanded.trim() ? fg.sync(expanded, { dot: true, onlyFiles: true, suppressErrors: true }).sort() : [] };
  });
}

/** `input path fingerprint` lines for the declared host inputs. */
function hostInputs(patterns: string[], env: Record<string, string | undefined>, values: Record<string, string | undefined>): string[] {
  return expandHostInputs(patterns, env, values).flatMap(({ pattern, expanded, matches }) => {
    if (!expanded.trim()) return [`input ${pattern} unset`];
    return matches.length ? matches.map((m) => `input ${m} ${inputFingerprint(m)}`) : [`input ${expanded} absent`];
  });
}

/** The host files the plan's flavours declare they read (`cache-inputs`), as they are now. */
export function hostInputFiles(plan: BuildPlan): string[] {
  const values = { ...plan.request.env, ...exportedValues(plan.environment) };
  return [...new Set(expandHostInputs(plan.cacheInputs, plan.request.env, values).flatMap((i) => i.matches))];
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
    // Hooks a stage installs into the image (first-boot.d) are part of what it makes.
    const installed = firstBootPhases().filter((f) => f.installedBy === phase).map((f) => f.phase.name);
    const lists = Object.entries(packageLists)
      .filter(([file, text]) => phase !== undefined && text !== '' && file.startsWith(`package-installs/${phase}.`))
      .map(([file, text]) => `list ${file} ${sha256(text)}`);
    const packages = plan.request.packages;
    const extra = phase === undefined ? (packages.length ? [`packages ${packages.join(' ')}`] : []) : [...lists, ...installed.flatMap((p) => stageHooks(plan, p).map((h) => h.line))];
    const alwaysRun = plan.alwaysRun.filter((h) => [phase, ...installed].some((p) => p !== undefined && h.startsWith(`${p}.d/`)));
    return { stage, hooks, extra, alwaysRun, unseen: phase ? unseenHostHooks(plan, phase) : [] };
  });
  return chainKeys(base, stages);
}

/** The key of a build's outputs, from the finished root's layer key and the output inputs;
 * `diskText` is the resolved disk's key text (plan/disk-plan.ts diskKeyText). */
export function outputKey(plan: BuildPlan, rootKey: string, diskText: string): string {
  const lines = [
    'kiln-outputs-v2', rootKey, `kind ${plan.request.kind}`, ...optionKeyLines(plan.request, 'outputs'),
    `block-device ${diskText}`,
    // The metadata names each container (Fuel's container_name): a cached set is only right under the same names.
    `fs-images ${JSON.stringify(plan.request.filesystemImages?.images.map((i) => [i.mountPoint, i.format, i.container, posix.basename(i.path)]) ?? [])}`,
    // The container outputs' name, tag and settings (entrypoint, labels, ...) are in the image config.
    `container ${JSON.stringify(plan.container ?? null)}`,
    ...OUTPUT_PHASES.flatMap((phase) => stageHooks(plan, phase.name).map((h) => h.line)),
  ];
  return sha256(lines.join('\n')).slice(0, 32);
}
