// The container outputs, made together from one layer: `oci` (an OCI image layout folder, what
// umoci and `skopeo ... oci:DIR` read), `oci-archive` (the same layout as one tar file, what
// `podman load` and `skopeo ... oci-archive:` read) and `docker` (an archive `docker load` reads).
// Everything is staged in a hidden folder beside the outputs, on their filesystem, and each output
// appears only when complete; a failure or an abort leaves none of them behind.
import { existsSync } from 'node:fs';
import { chown, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ContainerConfig } from '../flavours/container-config.js';
import { isRoot } from '../exec/run.js';
import type { LogSink } from '../log.js';
import { gzipLayer, writeLayer } from './container-layer.js';
import type { ImageReference } from './image-reference.js';
import { MEDIA_TYPES } from './oci-documents.js';
import { addDockerFiles, archiveLayout, writeLayout, type ImageMetadata } from './oci-layout.js';
import { currentOutputOwner } from './owner.js';
import { activeOutputSet, writeAtomically } from './partial.js';
import { outputPath } from './registry.js';

/** The container formats, in the order they are written. */
const CONTAINER_FORMATS = ['oci-archive', 'docker', 'oci'] as const;

/** Whether a format is a container image. */
export function isContainerFormat(format: string): boolean {
  return (CONTAINER_FORMATS as readonly string[]).includes(format);
}

/** What writeContainerOutputs needs. */
export interface ContainerOutputRequest {
  /** Requested container formats. */
  formats: readonly string[];
  /** The finished image root. */
  root: string;
  /** Output base name (`/out/app` → /out/app.oci, /out/app.docker.tar, ...). */
  imageName: string;
  reference: ImageReference;
  settings: ContainerConfig;
  /** Debian architecture name. */
  arch: string;
  /** Image creation time, seconds since 1970. */
  epoch: number;
  /** What made the image, for `docker history`. */
  createdBy: string;
  log: LogSink;
  signal?: AbortSignal | undefined;
  forceSignal?: AbortSignal | undefined;
}

/** CMD when no flavour sets entrypoint or cmd: the image's bash, else its sh. */
export function defaultCmd(root: string): string[] {
  return existsSync(join(root, 'bin/bash')) || existsSync(join(root, 'usr/bin/bash')) ? ['/bin/bash'] : ['/bin/sh'];
}

/** The hidden staging folder beside the outputs (pure). */
export function stagingPath(imageName: string): string {
  return join(dirname(imageName), `.${basename(imageName)}.kiln-container-partial`);
}

const LAYOUT_MEMBERS = ['blobs', 'index.json', 'oci-layout'];

/** Writes every requested container format from one archive of the root. */
export async function writeContainerOutputs(request: ContainerOutputRequest): Promise<void> {
  const formats = new Set(request.formats);
  // Inside the build's own staging folder when there is one (unique to the build).
  const set = activeOutputSet();
  const staging = set ? join(set.staging, '.container-work') : stagingPath(request.imageName);
  const { log, signal } = request;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const layer = await writeLayer({ root: request.root, path: join(staging, 'layer.tar'), epoch: request.epoch, log, signal, forceSignal: request.forceSignal });
    const meta: ImageMetadata = {
      reference: request.reference, settings: request.settings, arch: request.arch, epoch: request.epoch,
      defaultCmd: defaultCmd(request.root), createdBy: request.createdBy,
    };
    const oci = join(staging, 'oci');
    if (formats.has('oci') || formats.has('oci-archive')) {
      const gzipped = await gzipLayer(layer, join(staging, 'layer.tar.gz'), signal);
      await writeLayout(oci, { blob: gzipped, mediaType: MEDIA_TYPES.layerGzip, diffId: layer.digest }, meta);
    }
    if (formats.has('oci-archive')) {
      await writeAtomically(outputPath(request.imageName, 'oci-archive'), (partial) => archiveLayout(oci, LAYOUT_MEMBERS, request.epoch, partial, log, signal), { log });
    }
    if (formats.has('docker')) {
      const docker = join(staging, 'docker');
      const written = await writeLayout(docker, { blob: layer, mediaType: MEDIA_TYPES.layer, diffId: layer.digest }, meta);
      await addDockerFiles(docker, written, request.reference);
      const members = [...LAYOUT_MEMBERS, 'manifest.json', 'repositories'];
      await writeAtomically(outputPath(request.imageName, 'docker'), (partial) => archiveLayout(docker, members, request.epoch, partial, log, signal), { log });
    }
    if (formats.has('oci')) await installFolder(oci, outputPath(request.imageName, 'oci'));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Gives a folder kiln wrote as root to the invoking sudo user, as files are. */
async function handOverFolder(dir: string): Promise<void> {
  const owner = currentOutputOwner();
  if (!owner || !isRoot()) return;
  await chown(dir, owner.uid, owner.gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await handOverFolder(path);
    else await chown(path, owner.uid, owner.gid);
  }
}

/** Puts a finished folder at `path`, replacing an older one only once the new one is complete. */
async function installFolder(from: string, path: string): Promise<void> {
  await handOverFolder(from);
  const set = activeOutputSet();
  if (set?.holds(path)) return set.adopt(from, path);
  const old = join(dirname(path), `.${basename(path)}.kiln-old`);
  await rm(old, { recursive: true, force: true });
  if (existsSync(path)) await rename(path, old);
  await rename(from, path);
  await rm(old, { recursive: true, force: true });
}
