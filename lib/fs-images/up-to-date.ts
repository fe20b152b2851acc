// Whether per-mount-point images already on disk were built from exactly a build's inputs: the
// metadata file names the key of the inputs it was written for, and every image's container is
// still there with the size the metadata gives. Planning asks this (a rerun of an unchanged spec
// does nothing); reads files, writes nothing.
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { FilesystemImagesRequest } from '../config/build-request.js';
import { readMetadata } from './metadata.js';

/** True when the metadata says the images were built from `inputsKey` and every container is there, as it was written. */
export function filesystemImagesUpToDate(spec: FilesystemImagesRequest, inputsKey: string): boolean {
  if (!existsSync(spec.metadataPath)) return false;
  const found = readMetadata(readFileSync(spec.metadataPath, 'utf8'));
  if (!found || found.inputs !== inputsKey || found.images.length !== spec.images.length) return false;
  return spec.images.every((image) => {
    const record = found.images.find((r) => r.mount === image.mountPoint && r.container_name === basename(image.path));
    return record !== undefined && existsSync(image.path) && lstatSync(image.path).size === record.container_size;
  });
}
