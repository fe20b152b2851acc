// The plan checked against this machine, after the pure planning and before anything runs (a
// dry run does the same, so it refuses what the build would): the target architecture must run
// here, and diskimage-builder's contract is completed (the host Python its elements call).
import { checkTargetArch } from '../exec/host-arch.js';
import type { BuildPlan } from './build-plan.js';
import { completeDibContract } from './dib-environment.js';

/** Checks `plan` on this machine and adds what only the machine can say. */
export async function completePlan(plan: BuildPlan): Promise<BuildPlan> {
  checkTargetArch(plan.request.arch);
  return completeDibContract(plan);
}
