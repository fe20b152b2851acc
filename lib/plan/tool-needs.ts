// Which host tools a plan needs (pure over the plan and its resolved disk): the chroot
// basics always, the disk tools and each filesystem's mkfs only for disk images, qemu-img only
// for the formats that need it, QEMU only for --boot-test, the ramdisk tools only for ramdisks.
import { isRoot } from '../exec/run.js';
import type { ToolFeature, ToolNeeds } from '../exec/host-tools.js';
import { outputFormat } from '../outputs/registry.js';
import type { BuildPlan } from './build-plan.js';
import { ramdiskTools } from '../ramdisk/ramdisk-tools.js';
import type { ResolvedDisk } from './disk-plan.js';

/** The tools `plan` will run, with `disk` its resolved disk (disk-image builds). */
export function toolNeeds(plan: BuildPlan, disk: ResolvedDisk | undefined, root = isRoot()): ToolNeeds {
  const { request } = plan;
  const features: ToolFeature[] = ['chroot', 'hooks', 'layer-cache'];
  if (!root) features.push('sudo');
  if (plan.flavours.some((f) => f.name === 'debian')) features.push('debian-bootstrap');
  const needs: ToolNeeds = { features, formats: request.kind === 'ramdisk' ? [] : request.types.map(outputFormat) };
  if (request.kind === 'ramdisk') {
    features.push('ramdisk');
    needs.tools = ramdiskTools(request.ramdiskCompression);
    return needs;
  }
  if (disk) {
    const { config } = disk;
    features.push('disk-image');
    if (config.partitioning?.label === 'gpt') features.push('gpt');
    if (request.bootTest) features.push('boot-test');
    needs.filesystems = [...new Set(config.filesystems.map((f) => f.type))];
  }
  return needs;
}
