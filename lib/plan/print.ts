// Renderings of a resolved build for --dry-run: a readable one for people and a JSON document
// that tools and tests rely on. Pure: everything shown was decided by resolveBuild().
import { containerLines } from './container-plan.js';
import { diskToText, table } from './print-disk.js';
import type { ResolvedBuild } from './resolved-build.js';
import { vmSummaryText } from './vm-summary.js';

/** The stable JSON interface of `--dry-run --json`. */
export interface PlanJson {
  flavours: { name: string; path: string }[];
  phases: { name: string; dir: string; where: string; hooks: { name: string; flavour: string; path: string }[] }[];
  environment: { name: string; value: string; source: string }[];
  outputs: { format: string; path: string }[];
  warnings: string[];
  [extra: string]: unknown;
}

/** True for variables that hold a secret (KILN_ROOT_PASSWORD, ...): never shown, never given to
 * chroot hooks (their environment is on the chroot command line, which every user can read). */
export function isSecretVariable(name: string): boolean {
  return /PASSWORD/i.test(name);
}

/** A variable's value as plans show it. */
function shownValue(name: string, value: string): string {
  return isSecretVariable(name) ? '(hidden)' : value;
}

/** The resolved build as the JSON document of `--dry-run --json`. */
function planToJson(plan: ResolvedBuild): PlanJson {
  const { cache } = plan;
  return {
    flavours: plan.flavours.map(({ name, path }) => ({ name, path })),
    phases: plan.phases.map((p) => ({
      name: p.name,
      dir: p.dir,
      where: p.where,
      hooks: p.hooks.map(({ name, flavour, path }) => ({ name, flavour, path })),
    })),
    environment: plan.environment.map(({ name, value, source }) => ({ name, value: shownValue(name, value), source })),
    outputs: plan.outputs,
    warnings: plan.warnings,
    ...(plan.container ? { container: plan.container } : {}),
    disk: plan.disk ?? null,
    cache: cache.decisions.map((d) => ({ phase: d.stage, key: d.key, fromCache: d.reuse, ...(d.resume ? { resumeAfter: d.resume.afterHook } : {}), reason: d.reason })),
    outputKey: cache.outputKey ?? null,
    outputsFromCache: cache.outputsFromCache,
    ...(plan.request.filesystemImages ? { upToDate: cache.imagesUpToDate } : {}),
    tools: plan.tools.map((t) => t.tool),
    ...(plan.vm ? { vm: plan.vm } : {}),
  };
}

/** Notes per phase: where its work comes from. */
function phaseNotes(plan: ResolvedBuild): Map<string, string> {
  if (plan.cache.imagesUpToDate) return new Map(plan.phases.map((p) => [p.name, 'skipped: the images are up to date']));
  if (plan.cache.outputsFromCache) return new Map(plan.phases.map((p) => [p.name, 'skipped: nothing changed, the outputs come from the cache']));
  return new Map(plan.cache.decisions.map((d) => [d.stage, d.reason]));
}

/** The resolved build as text for a person. */
function planToText(plan: ResolvedBuild): string {
  const lines: string[] = [];
  const notes = phaseNotes(plan);
  const kind = plan.request.kind === 'ramdisk' ? 'kernel + ramdisk' : plan.request.types.join(', ');
  lines.push(`kiln build plan: ${kind} for ${plan.request.arch}`, '');
  lines.push('Flavours (search path order decides which folder wins):');
  lines.push(...table(plan.flavours.map((f) => [f.name, f.path, `(${f.origin})`])));
  lines.push('', 'Phases in run order:');
  for (const phase of plan.phases) {
    const note = notes.get(phase.name);
    lines.push(`  ${phase.dir} [${phase.where}]${phase.hooks.length ? '' : ' (no hooks)'}${note ? ` — ${note}` : ''}`);
    lines.push(...table(phase.hooks.map((h) => [h.name, h.flavour, h.path]), '      '));
  }
  const packages = plan.cache.decisions.find((d) => d.stage === 'packages');
  if (plan.request.packages.length && packages && !plan.cache.outputsFromCache) lines.push(`  -p packages (${plan.request.packages.join(' ')}) — ${packages.reason}`);
  if (plan.request.kind === 'ramdisk') {
    lines.push('', 'Ramdisk parts:');
    for (const part of [...plan.ramdisk.binaryDeps, ...plan.ramdisk.init]) lines.push(`  ${part.flavour}: ${part.path}`);
  }
  if (plan.disk) lines.push('', ...diskToText(plan.disk));
  lines.push('', 'Environment:');
  // Values can be long (a whole block-device config): one does not push every source off the screen.
  lines.push(...table(plan.environment.map((v) => [v.name, JSON.stringify(shownValue(v.name, v.value)), v.source]), '  ', 40));
  lines.push('', 'Outputs:');
  lines.push(...table(plan.outputs.map((o) => [o.format, o.path])));
  if (plan.container) lines.push(...containerLines(plan.container));
  if (plan.vm) lines.push(vmSummaryText(plan.vm));
  if (plan.cache.imagesUpToDate) lines.push('', `Nothing to do: ${plan.request.filesystemImages!.metadataPath} lists images built from these same inputs, and they are all there.`);
  else if (plan.cache.outputsFromCache) lines.push('', 'Nothing changed since a build with these inputs: its outputs are copied from the cache.');
  if (plan.warnings.length) {
    lines.push('', 'Warnings:');
    for (const warning of plan.warnings) lines.push(`  ${warning}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The dry run's output: text, or the JSON document. */
export function renderDryRun(plan: ResolvedBuild, json: boolean): string {
  return json ? `${JSON.stringify(planToJson(plan), null, 2)}\n` : planToText(plan);
}
