// Renderings of a plan for --dry-run: a readable one for people and a JSON document that tools
// and tests rely on. Pure.
import type { BuildPlan } from './build-plan.js';
import { containerLines } from './container.js';

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
export function shownValue(name: string, value: string): string {
  return isSecretVariable(name) ? '(hidden)' : value;
}

/** The plan as the JSON document of `--dry-run --json`. Extra sections may be added by callers. */
export function planToJson(plan: BuildPlan, extra: Record<string, unknown> = {}): PlanJson {
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
    ...extra,
  };
}

function table(rows: string[][], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

/** The plan as text for a person. `notes` adds lines per phase (e.g. cache status). */
export function planToText(plan: BuildPlan, notes: Map<string, string> = new Map()): string {
  const lines: string[] = [];
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
  if (plan.request.kind === 'ramdisk') {
    lines.push('', 'Ramdisk parts:');
    for (const part of [...plan.ramdisk.binaryDeps, ...plan.ramdisk.init]) lines.push(`  ${part.flavour}: ${part.path}`);
  }
  lines.push('', 'Environment:');
  lines.push(...table(plan.environment.map((v) => [v.name, JSON.stringify(shownValue(v.name, v.value)), v.source])));
  lines.push('', 'Outputs:');
  lines.push(...table(plan.outputs.map((o) => [o.format, o.path])));
  if (plan.container) lines.push(...containerLines(plan.container));
  if (plan.warnings.length) {
    lines.push('', 'Warnings:');
    for (const warning of plan.warnings) lines.push(`  ${warning}`);
  }
  return `${lines.join('\n')}\n`;
}
