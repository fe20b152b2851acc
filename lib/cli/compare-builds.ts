// --check-reproducible: build twice from scratch (no layer or output cache) with the same inputs
// and SOURCE_DATE_EPOCH, the second time into a temporary folder beside the outputs, then compare
// every output and description file byte for byte. The first build's files stay where they belong; any difference
// is explained by kiln-diff's comparison and fails the command.
import { mkdtemp, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BuildPlan } from '../plan/build-plan.js';
import type { BuildRequest } from '../config/build-request.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { removeTree } from '../resources/remove-tree.js';
import { diffOutputs, type DiffReport } from '../diff/compare.js';
import { nullLog } from '../log.js';
import { sidecarFiles } from '../engine/steps/manifests.js';
import { KilnError } from '../errors.js';

/** The request of one of the two builds: no cache, the outputs at `imageName` (pure). */
function checkRequest(request: BuildRequest, imageName = request.imageName): BuildRequest {
  return { ...request, noCache: true, imageName, ...(imageName === request.imageName ? {} : { logfile: `${imageName}.log` }) };
}

/** Output and description files of a plan that exist, paired by format. */
async function filesOf(plan: BuildPlan): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const f of [...plan.outputs, ...sidecarFiles(plan)]) {
    if (await stat(f.path).then((s) => s.isFile(), () => false)) files.set(f.format, f.path);
  }
  return files;
}

/** A difference between the two builds. */
export interface Mismatch {
  format: string;
  first: string;
  report: DiffReport | undefined;
}

/** Resolves and runs one build; resolves to its exit code. */
export type BuildRunner = (request: BuildRequest) => Promise<{ plan: BuildPlan; code: number }>;

/** Builds twice with `build` and compares; returns the mismatches (empty when reproducible). */
export async function checkReproducible(request: BuildRequest, build: BuildRunner): Promise<Mismatch[]> {
  const first = await build(checkRequest(request));
  if (first.code !== 0) throw new KilnError(`the first build failed (exit ${first.code})`);
  const dir = await mkdtemp(join(dirname(request.imageName), `.${basename(request.imageName)}.second-build-`));
  try {
    const second = await build(checkRequest(request, join(dir, basename(request.imageName))));
    if (second.code !== 0) throw new KilnError(`the second build failed (exit ${second.code})`);
    const a = await filesOf(first.plan);
    const b = await filesOf(second.plan);
    const mismatches: Mismatch[] = [];
    for (const [format, path] of a) {
      const other = b.get(format);
      if (!other) {
        mismatches.push({ format, first: path, report: undefined });
        continue;
      }
      await using stack = new ResourceStack();
      const report = await diffOutputs(stack, path, other, nullLog);
      if (!report.identical) mismatches.push({ format, first: path, report });
    }
    return mismatches;
  } finally {
    await removeTree(dir, nullLog);
  }
}
