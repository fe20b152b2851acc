// Which host tools a plan needs (pure over the plan and its resolved disk): the chroot
// basics always, the disk tools and each filesystem's mkfs only for disk images, qemu-img only
// for the formats that need it, QEMU only for --boot-test, the ramdisk tools only for ramdisks.
import { isRoot } from '../exec/run.js';
import { haveTool, type ToolFeature, type ToolNeeds } from '../exec/host-tools.js';
import { outputFormat } from '../outputs/registry.js';
import type { BuildPlan } from './build-plan.js';
import { ramdiskTools } from '../ramdisk/ramdisk-tools.js';
import type { ResolvedDisk } from './disk-plan.js';
import type { FilesystemImagesRequest } from '../config/build-request.js';

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
  if (request.filesystemImages) addFilesystemImageTools(needs, request.filesystemImages);
  if (disk) {
    const { config } = disk;
    features.push('disk-image');
    if (config.partitioning?.label === 'gpt') features.push('gpt');
    if (request.bootTest) features.push('boot-test');
    needs.filesystems = [...new Set(config.filesystems.map((f) => f.type))];
  }
  return needs;
}

/** Per-mount-point images: each format's mkfs, resize2fs and debugfs for ext, a loop device for
 * xfs, and each container's compressor. */
function addFilesystemImageTools(needs: ToolNeeds, images: FilesystemImagesRequest): void {
  const formats = [...new Set(images.images.map((i) => i.format))];
  needs.filesystems = [...new Set([...(needs.filesystems ?? []), ...formats])];
  const tools = (needs.tools ??= new Map());
  if (formats.some((f) => f !== 'xfs')) {
    tools.set('resize2fs', 'to shrink ext filesystem images to their content');
    tools.set('debugfs', 'to set the mode of an ext filesystem image\'s root');
    tools.set('dumpe2fs', 'to measure ext filesystem images');
  }
  if (formats.includes('xfs')) needs.features = [...(needs.features ?? []), 'disk-image'];
  for (const container of new Set(images.images.map((i) => i.container))) {
    if (container === 'gzip' && !haveTool('pigz')) tools.set('gzip', 'for gzip image containers');
    if (container === 'zstd') tools.set('zstd', 'for zstd image containers');
  }
}
