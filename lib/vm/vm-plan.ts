// What the dry run says about a --vm build: that it runs in a VM, with what memory, CPUs and
// accelerator, from which builder image (there already, or made first), and what the VM gets
// from the host. Reads the cache and /dev/kvm; never starts QEMU.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildPlan } from '../plan/build-plan.js';
import type { VmSummary } from '../plan/vm-summary.js';
import { kvmDeviceProblem } from './accel.js';
import { builderImage, builderKey, findBuilder } from './builder-image.js';
import { workDiskBytes } from './work-disk.js';

function expectedAccel(plan: BuildPlan): string {
  const { vmAccel, imageCache } = plan.request;
  if (vmAccel !== 'auto') return `${vmAccel} (KILN_VM_ACCEL)`;
  const problem = kvmDeviceProblem();
  if (problem) return `software emulation (${problem})`;
  try {
    const saved = JSON.parse(readFileSync(join(imageCache, 'vm', 'accel.json'), 'utf8')) as { choice: { accel: string; reason: string } };
    return `${saved.choice.accel === 'kvm' ? 'KVM' : 'software emulation'} (last probe since this host booted: ${saved.choice.reason})`;
  } catch {
    return 'KVM if a test guest runs on it (probed when the build starts), else software emulation';
  }
}

/** The VM section of the plan, or undefined for a build on this host. */
export function vmSummary(plan: BuildPlan): VmSummary | undefined {
  const { request } = plan;
  if (!request.vm) return undefined;
  const key = builderKey();
  return {
    memoryMiB: request.vmMemoryMiB,
    cpus: request.vmCpus,
    accel: expectedAccel(plan),
    builder: { dir: builderImage(request.imageCache, key).dir, present: findBuilder(request.imageCache, key) !== undefined },
    scratchDiskBytes: workDiskBytes(request),
    shared: [
      ...plan.searchPath.map((e) => `${e.dir} (flavours, read-only)`),
      `${request.imageCache} (cache, read-only; what the build adds is copied back)`,
      'the files flavours list in cache-inputs (read-only)',
    ],
  };
}
