// Step: assemble the merged hook tree and the generated files hooks read from it.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildContext } from '../context.js';
import { PHASES } from '../../flavours/phases.js';
import { addHookTreeFiles, buildHookTree, linkPlannedHooks } from '../hook-tree.js';

/** Builds $TMP_HOOKS_PATH with every flavour's folders, the chosen install-type hooks linked into
 * install.d, the package-installs lists and the pkg-map/svc-map tables; creates $DIB_LOCKFILES. */
export async function prepareHookTree(ctx: BuildContext): Promise<void> {
  const lockfiles = ctx.plan.environment.find((v) => v.name === 'DIB_LOCKFILES')?.value;
  if (lockfiles) await mkdir(lockfiles, { recursive: true });
  await buildHookTree(ctx.paths.hooks, ctx.plan.hookTree);
  await linkPlannedHooks(ctx.paths.hooks, ctx.plan.phases);
  await addHookTreeFiles(ctx.paths.hooks, ctx.plan.packageLists);
  await addHookTreeFiles(ctx.paths.hooks, ctx.plan.nameMaps);
}

/** After a cached layer was restored: its hook tree holds what extra-data.d added, but the hooks
 * as they were when the layer was stored. The phase folders are written afresh from the plan's
 * flavours (a changed or removed later hook must not run in its old form); everything else
 * outside them is covered by the layer's key, so copying the flavours over it changes nothing. */
export async function refreshHookTree(ctx: BuildContext): Promise<void> {
  for (const phase of PHASES) await rm(join(ctx.paths.hooks, phase.dir), { recursive: true, force: true });
  await prepareHookTree(ctx);
}
