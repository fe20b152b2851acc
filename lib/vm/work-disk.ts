// The size of the build VM's scratch disk (pure). It holds the build's work folder: the tree,
// the raw disk image and the outputs before they are copied out. It is a sparse qcow2, so a
// generous size costs nothing until the build writes.
import type { BuildRequest } from '../config/build-request.js';

const GIB = 1024 ** 3;

/** Scratch disk bytes for `request`; `layoutBytes` is a size the block-device config fixes. */
export function workDiskBytes(request: BuildRequest, layoutBytes?: number): number {
  const image = request.imageSizeBytes ?? layoutBytes ?? 0;
  return Math.max(64 * GIB, 3 * image + 16 * GIB);
}
