// Checks across options, after each option was parsed on its own (STYLE lesson 8: a list of rule
// functions). Each throws one UsageError line naming what was given. Pure.
import { UsageError } from '../errors.js';
import type { BuildRequest } from './build-request.js';

type Rule = (request: BuildRequest) => void;

/** --vm-memory and --vm-cpus size the build VM: given without --vm they would do nothing. */
function vmSizesNeedVm(request: BuildRequest): void {
  if (request.vm) return;
  for (const key of ['vmMemoryMiB', 'vmCpus'] as const) {
    const origin = request.origins[key];
    // Only a flag is a request for this build; KILN_VM_MEMORY or a spec's vmMemory can be a
    // standing default for builds that may or may not use the VM.
    if (origin?.startsWith('--')) throw new UsageError(`${origin} needs --vm`, `add --vm to build in a VM, or drop ${origin}`);
  }
}

const RULES: readonly Rule[] = [vmSizesNeedVm];

/** Throws for the first rule `request` breaks. */
export function checkRules(request: BuildRequest): void {
  for (const rule of RULES) rule(request);
}
