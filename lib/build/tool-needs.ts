// Which host tools a plan needs (pure): the chroot basics always, qemu-img only for image
// formats that need it, mkfs only for the filesystems the layout uses, and so on.
import { isRoot } from '../exec/run.js';
import type { ToolNeeds } from '../exec/tools.js';
import { outputFormat } from '../outputs/registry.js';
import type { BuildPlan } from '../plan/build-plan.js';
import { ramdiskTools } from '../ramdisk/tools.js';

/** The tools `plan` will run, each with the reason. */
export function toolNeeds(plan: BuildPlan, root = isRoot()): ToolNeeds {
  const tools = new Map<string, string>([
    ['mount', 'to mount /proc, /sys and /dev into the image'],
    ['umount', 'to release mounts'],
    ['chroot', 'to run chroot-phase hooks'],
    ['tar', 'to store and restore cached layers'],
    ['zstd', 'to compress cached layers'],
    ['bash', 'to run hooks'],
  ]);
  if (!root) tools.set('sudo', 'to run privileged steps as an ordinary user');
  for (const type of plan.request.types) {
    for (const tool of outputFormat(type).tools) tools.set(tool, `for the ${type} output`);
  }
  if (plan.request.types.includes('tgz')) tools.delete('gzip');
  if (plan.request.kind === 'ramdisk') {
    for (const [tool, why] of ramdiskTools(plan.request.ramdiskCompression)) tools.set(tool, why);
  }
  const anyOf: ToolNeeds['anyOf'] = [];
  if (plan.flavours.some((f) => f.name === 'debian')) anyOf.push({ tools: ['mmdebstrap', 'debootstrap'], reason: 'by the debian flavour to bootstrap the root' });
  return { tools, anyOf };
}
