// An OCI image layout on disk (image-spec image-layout.md): `oci-layout`, `index.json` and the
// content-addressed `blobs/sha256/<hex>`. kiln writes one image of one layer into a staging folder;
// the docker archive is the same layout with an uncompressed layer plus the manifest.json and
// repositories files `docker load` reads, as `docker save` has written since Docker 25. Archives
// of a layout are GNU tar with fixed owners, modes, times and member order.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerConfig } from '../flavours/container-config.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { Blob } from './container-layer.js';
import type { ImageReference } from './image-reference.js';
import {
  blobPath, describe, documentBytes, dockerManifest, dockerRepositories, imageConfig, imageIndex, imageManifest,
  MEDIA_TYPES, OCI_LAYOUT, type Descriptor,
} from './oci-documents.js';

/** Everything about the image except its layer. */
export interface ImageMetadata {
  reference: ImageReference;
  settings: ContainerConfig;
  arch: string;
  /** Seconds since 1970: creation time of the image and of the archives' members. */
  epoch: number;
  defaultCmd: string[];
  createdBy: string;
}

/** The layer as stored in a layout: the file, its digest, its media type and its diff_id. */
export interface LayoutLayer {
  blob: Blob;
  mediaType: string;
  diffId: string;
}

async function putBlob(dir: string, digest: string, bytes: Buffer): Promise<void> {
  await writeFile(join(dir, blobPath(digest)), bytes);
}

/** Writes the layout into `dir` (moving the layer file into it); returns the manifest descriptor. */
export async function writeLayout(dir: string, layer: LayoutLayer, meta: ImageMetadata): Promise<{ config: Descriptor; layer: Descriptor; manifest: Descriptor }> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const layerDescriptor: Descriptor = { mediaType: layer.mediaType, digest: layer.blob.digest, size: layer.blob.size };
  await rename(layer.blob.path, join(dir, blobPath(layer.blob.digest)));
  const created = new Date(meta.epoch * 1000).toISOString().replace(/\.000Z$/, 'Z');
  const configBytes = documentBytes(imageConfig({
    settings: meta.settings, arch: meta.arch, created, diffIds: [layer.diffId], defaultCmd: meta.defaultCmd, createdBy: meta.createdBy,
  }));
  const config = describe(MEDIA_TYPES.config, configBytes);
  await putBlob(dir, config.digest, configBytes);
  const manifestBytes = documentBytes(imageManifest(config, [layerDescriptor]));
  const manifest = describe(MEDIA_TYPES.manifest, manifestBytes);
  await putBlob(dir, manifest.digest, manifestBytes);
  await writeFile(join(dir, 'index.json'), documentBytes(imageIndex(manifest, meta.reference, meta.arch)));
  await writeFile(join(dir, 'oci-layout'), documentBytes(OCI_LAYOUT));
  return { config, layer: layerDescriptor, manifest };
}

/** Adds what `docker load` reads to a layout whose layer is uncompressed. */
export async function addDockerFiles(dir: string, written: { config: Descriptor; layer: Descriptor }, reference: ImageReference): Promise<void> {
  await writeFile(join(dir, 'manifest.json'), documentBytes(dockerManifest(written.config, [written.layer], reference)));
  await writeFile(join(dir, 'repositories'), documentBytes(dockerRepositories(reference, written.layer)));
}

/** argv of GNU tar archiving the layout in `dir` to stdout, byte-for-byte reproducibly (pure). */
export function layoutArchiveArgv(dir: string, members: readonly string[], epoch: number): string[] {
  return [
    'tar', '--create', '--file=-', `--directory=${dir}`,
    // GNU format: members over 8 GiB (a large layer) are fine, and no pax headers carry times.
    '--format=gnu', '--sort=name', `--mtime=@${epoch}`,
    '--owner=0', '--group=0', '--numeric-owner', '--mode=u=rwX,go=rX',
    // Members named without `./`: readers look manifest.json and index.json up by exact name.
    ...[...members].sort(),
  ];
}

/** Archives a layout folder into `file` (the docker archive or the OCI archive). */
export async function archiveLayout(dir: string, members: readonly string[], epoch: number, file: string, log: LogSink, signal?: AbortSignal): Promise<void> {
  await run(layoutArchiveArgv(dir, members, epoch), { log, signal, stdoutFile: file, label: 'tar', what: `archiving the image layout into ${file}` });
}
