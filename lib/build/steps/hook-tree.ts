// Step: assemble the merged hook tree and the generated files hooks read from it.
import type { BuildContext } from '../context.js';
import { addHookTreeFiles, buildHookTree } from '../hook-tree.js';
import { collectPackageInstalls, renderPackageInstallFiles } from '../../flavours/package-installs.js';
import { exportedValues } from '../../plan/environment.js';

/** Builds $TMP_HOOKS_PATH with every flavour's folders plus the package-installs lists. */
export async function prepareHookTree(ctx: BuildContext): Promise<void> {
  await buildHookTree(ctx.paths.hooks, ctx.plan.flavours);
  const packages = await collectPackageInstalls(ctx.plan.flavours, exportedValues(ctx.plan.environment), ctx.plan.request.arch);
  await addHookTreeFiles(ctx.paths.hooks, renderPackageInstallFiles(packages));
}
