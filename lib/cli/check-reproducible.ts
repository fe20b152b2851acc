// The build commands' last step: build, or with --check-reproducible build twice from scratch and
// report whether every output came out the same (exit 1 and kiln-diff's explanation if not).
import { basename } from 'node:path';
import type { BuildRequest } from '../config/build-request.js';
import type { ExecuteOptions } from '../engine/execute.js';
import type { ResolvedBuild, ResolveOptions } from '../plan/resolved-build.js';
import { resolveBuild } from '../plan/resolved-build.js';
import { checkReproducible } from './compare-builds.js';
import type { CommandFlags } from '../spec/command-line.js';
import { runBuild, withVmSummary } from '../vm/run-build.js';
import { renderReport } from './kiln-diff.js';

/** Runs the resolved build once, or with --check-reproducible twice from scratch; resolves to the exit code. */
export async function buildOrCheck(request: BuildRequest, plan: ResolvedBuild, flags: CommandFlags, options: ExecuteOptions,
  resolveOptions: ResolveOptions = {}): Promise<number> {
  if (!flags.checkReproducible) return runBuild(plan, options);
  process.stderr.write(`--check-reproducible: building twice without caches, SOURCE_DATE_EPOCH ${plan.sourceDate.epoch} (${plan.sourceDate.origin})\n`);
  const mismatches = await checkReproducible(request, async (r) => {
    const resolved = await resolveBuild(r, resolveOptions);
    return { plan: resolved, code: await runBuild(withVmSummary(resolved), options) };
  });
  if (!mismatches.length) {
    process.stderr.write(`reproducible: both builds wrote the same bytes for every output and description of ${basename(request.imageName)}\n`);
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
