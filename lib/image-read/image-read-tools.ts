// Host tools image reading runs (disk-image-get-kernel, the cloud-image flavour), checked before
// anything is touched so that every missing one is reported at once.
import { MissingToolsError } from '../errors.js';
import { checkTools, haveTool, requiredTools } from '../exec/host-tools.js';

/** Tools every image read needs. */
export const IMAGE_READ_TOOLS: ReadonlyMap<string, string> = new Map([
  ['sfdisk', 'to read partition tables'],
  ['losetup', 'to attach partitions read-only'],
  ['mount', 'to mount filesystems read-only'],
  ['umount', 'to release them'],
]);

/** Throws MissingToolsError listing every missing tool of IMAGE_READ_TOOLS. */
export function checkImageReadTools(): void {
  checkTools(requiredTools({ tools: new Map(IMAGE_READ_TOOLS) }));
}

/** qemu-img is needed for qcow2 images only. */
export function checkQemuImg(): void {
  if (!haveTool('qemu-img')) throw new MissingToolsError([{ tool: 'qemu-img', debianPackage: 'qemu-utils', reason: 'to read qcow2 images' }]);
}
