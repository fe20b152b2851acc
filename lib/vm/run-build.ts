// Where a resolved build runs: in a throwaway build VM with --vm (run-in-vm.ts), else on this host
// (the engine). The commands call this; the engine knows nothing of VMs.
import { checkCacheTrust } from '../cache/cache-trust.js';
import { executeBuild, reportedBuild, type ExecuteOptions } from '../engine/execute.js';
import type { ResolvedBuild } from '../plan/resolved-build.js';
import { hostLeftoverFolders } from './leftovers.js';
import { runInVm } from './run-in-vm.js';
import { vmSummary } from './vm-plan.js';

/** Runs `plan` where its request says; resolves to the exit code. */
export function runBuild(plan: ResolvedBuild, options: ExecuteOptions): Promise<number> {
  if (!plan.request.vm) {
    // Layers and base trees from the cache are unpacked by root on this host: a cache others can
    // write is refused. (In a build VM they are unpacked by the guest's root, which gains nothing.)
    checkCacheTrust(plan.request.imageCache, plan.request.cacheGroup);
    return executeBuild(plan, { leftoverFolders: hostLeftoverFolders(plan.request.imageCache), ...options });
  }
  return reportedBuild(plan, options, (emit, log) => runInVm(plan, options, emit, log));
}

/** The resolved build with what the dry run says about its build VM (--vm builds). */
export function withVmSummary(plan: ResolvedBuild): ResolvedBuild {
  return plan.request.vm ? { ...plan, vm: vmSummary(plan) } : plan;
}
