// Step: assemble the merged hook tree and the generated files hooks read from it.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildContext } from '../context.js';
import { PHASES } from '../../plan/phases.js';
import { addHookTreeFiles, buildHookTree, linkPlannedHooks } from '../hook-tree.js';
import { nameMapFiles } from '../../flavours/name-maps.js';
import { collectPackageInstalls, renderPackageInstallFiles } from '../../flavours/package-installs.js';
import { exportedValues } from '../../plan/environment.js';
import type { BuildPlan } from '../../plan/build-plan.js';

/** The generated package-installs lists of a plan (`package-installs/<phase>.install`, ...). */
export async function packageListFiles(plan: BuildPlan): Promise<Record<string, string>> {
  const packages = await collectPackageInstalls(plan.flavours, exportedValues(plan.environment), plan.request.arch);
  return renderPackageInstallFiles(packages);
}

/** Builds $TMP_HOOKS_PATH with every flavour's folders plus the package-installs lists; returns the lists. */
export async function prepareHookTree(ctx: BuildContext): Promise<Record<string, string>> {
  await buildHookTree(ctx.paths.hooks, ctx.plan.flavours);
  await linkPlannedHooks(ctx.paths.hooks, ctx.plan.phases);
  await addHookTreeFiles(ctx.paths.hooks, nameMapFiles(ctx.plan.flavours));
  const lists = await packageListFiles(ctx.plan);
  await addHookTreeFiles(ctx.paths.hooks, lists);
  return lists;
}

/** After a cached layer was restored: its hook tree holds what extra-data.d added, but the hooks
 * as they were when the layer was stored. The phase folders are written afresh from the plan's
 * flavours (a changed or removed later hook must not run in its old form); everything else
 * outside them is covered by the layer's key, so copying the flavours over it changes nothing. */
export async function refreshHookTree(ctx: BuildContext): Promise<void> {
  for (const phase of PHASES) await rm(join(ctx.paths.hooks, phase.dir), { recursive: true, force: true });
  await prepareHookTree(ctx);
}
