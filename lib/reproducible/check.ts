// --check-reproducible: build twice from scratch (no layer or output cache) with the same inputs
// and SOURCE_DATE_EPOCH, the second time into a temporary folder, then compare every output and
// description file byte for byte. The first build's files stay where they belong; any difference
// is explained by kiln-diff's comparison and fails the command.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BuildPlan } from '../plan/build-plan.js';
import { outputPath } from '../outputs/registry.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { diffOutputs, type DiffReport } from '../diff/compare.js';
import { nullLog } from '../log.js';
import { sidecarFiles } from '../engine/steps/manifests.js';
import { KilnError } from '../errors.js';

/** The plan with every cache off (pure). */
export function uncachedPlan(plan: BuildPlan): BuildPlan {
  return { ...plan, request: { ...plan.request, noCache: true } };
}

/** The same plan writing its outputs as `imageName` instead (pure): outputs, log and IMAGE_NAME follow. */
export function planWritingTo(plan: BuildPlan, imageName: string): BuildPlan {
  const request = { ...plan.request, imageName, logfile: `${imageName}.log` };
  const outputs = plan.outputs.map((o) => ({
    format: o.format,
    path: request.kind === 'ramdisk' ? `${imageName}.${o.format}` : outputPath(imageName, o.format),
  }));
  const environment = plan.environment.map((v) => (v.name === 'IMAGE_NAME' ? { ...v, value: imageName } : v));
  return { ...plan, request, outputs, environment };
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

/** Builds twice with `build` and compares; returns the mismatches (empty when reproducible). */
export async function checkReproducible(plan: BuildPlan, build: (plan: BuildPlan) => Promise<number>): Promise<Mismatch[]> {
  const first = uncachedPlan(plan);
  const code = await build(first);
  if (code !== 0) throw new KilnError(`the first build failed (exit ${code})`);
  const dir = await mkdtemp(join(dirname(plan.request.imageName), `.${basename(plan.request.imageName)}.second-build-`));
  try {
    const second = planWritingTo(first, join(dir, basename(plan.request.imageName)));
    const again = await build(second);
    if (again !== 0) throw new KilnError(`the second build failed (exit ${again})`);
    const a = await filesOf(first);
    const b = await filesOf(second);
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
    await rm(dir, { recursive: true, force: true });
  }
}
