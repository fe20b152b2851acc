// The build commands' last step: build, or with --check-reproducible build twice from scratch and
// report whether every output came out the same (exit 1 and kiln-diff's explanation if not).
import { basename } from 'node:path';
import { executeBuild } from '../engine/execute.js';
import type { BuildPlan } from '../plan/build-plan.js';
import { checkReproducible } from '../reproducible/check.js';
import type { CommandFlags } from './build-command.js';
import { renderReport } from './kiln-diff.js';
import type { Interrupts } from './main.js';

/** Runs the planned build once, or twice with --check-reproducible; resolves to the exit code. */
export async function buildOrCheck(plan: BuildPlan, flags: CommandFlags, interrupts: Interrupts): Promise<number> {
  const options = { ...interrupts, debug: flags.debug ?? false };
  if (!flags.checkReproducible) return executeBuild(plan, options);
  process.stderr.write(`--check-reproducible: building twice without caches, SOURCE_DATE_EPOCH ${plan.sourceDate.epoch} (${plan.sourceDate.origin})\n`);
  const mismatches = await checkReproducible(plan, (p) => executeBuild(p, options));
  if (!mismatches.length) {
    process.stderr.write(`reproducible: both builds wrote the same bytes for every output and description of ${basename(plan.request.imageName)}\n`);
    return 0;
  }
  for (const m of mismatches) {
    process.stderr.write(`\nnot reproducible: ${m.first} differs between the two builds\n`);
    if (m.report) process.stderr.write(renderReport(m.report, 20));
    else process.stderr.write('  (the second build did not write it)\n');
  }
  process.stderr.write('hint: see "Reproducible images" in the README for what kiln normalises; kiln-diff compares two outputs in full\n');
  return 1;
}
