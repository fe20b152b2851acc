// Container images as the starting root of a build (the cloud-image flavour): an OCI image layout
// folder, an OCI archive, or a docker archive (`docker save`, kiln's -t docker). skopeo copies the
// image for the build's architecture into a private layout (picking it out of a multi-platform
// index and converting a docker archive), then umoci applies its layers in order into the build
// root, whiteouts, owners, modes, device nodes and xattrs included. No container engine is needed.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { run } from '../exec/run.js';
import { checkTools, requiredTools } from '../exec/host-tools.js';
import type { LogSink } from '../log.js';
import { ociPlatform } from '../outputs/oci-documents.js';
import type { ResourceStack } from '../resources/disposable-stack.js';
import { makeTempDir } from '../resources/temp-dir.js';

/** A container image on disk, as skopeo names its transports. */
export interface ContainerSource {
  transport: 'oci' | 'oci-archive' | 'docker-archive';
  path: string;
}

/** Which container transport a tar holds, from its member names (pure); undefined: not a container archive. */
export function archiveTransport(members: readonly string[]): ContainerSource['transport'] | undefined {
  const top = new Set(members.map((m) => m.replace(/^\.\//, '')));
  // Docker 25+ archives are OCI layouts too; manifest.json carries the NAME:TAG tags docker load uses.
  if (top.has('manifest.json')) return 'docker-archive';
  if (top.has('oci-layout') && top.has('index.json')) return 'oci-archive';
  return undefined;
}

/** The container image at `path`, or undefined when it is something else (a disk image, a root tarball). */
export async function containerSource(path: string, isTar: boolean, log: LogSink, signal?: AbortSignal): Promise<ContainerSource | undefined> {
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'oci-layout'))) return { transport: 'oci', path };
    throw new UsageError(`${path} is a folder but not an OCI image layout (it has no oci-layout file)`, 'give a disk image, a root tarball, an OCI layout folder or a docker/OCI archive');
  }
  if (!isTar) return undefined;
  // GNU tar skips over member data in a plain archive (it seeks), so listing is quick.
  const listed = await run(['tar', '--list', '--file', path], { log, signal, captureStdout: true, what: `listing ${path}` });
  const transport = archiveTransport(listed.stdout.split('\n'));
  return transport ? { transport, path } : undefined;
}

/** skopeo's name of the image to copy: `TRANSPORT:PATH[:TAG]` (pure). */
function skopeoReference(source: ContainerSource, tag: string | undefined): string {
  return `${source.transport}:${source.path}${tag ? `:${tag}` : ''}`;
}

/** argv of the skopeo copy into a private layout, for the build's platform (pure). */
export function skopeoCopyArgv(source: ContainerSource, tag: string | undefined, debianArch: string, layout: string): string[] {
  const platform = ociPlatform(debianArch);
  return [
    // Local files only: no registry, so no signature policy to consult (and none is needed on the host).
    'skopeo', '--insecure-policy', 'copy', '--quiet',
    '--override-os', platform.os, '--override-arch', platform.architecture, ...(platform.variant ? ['--override-variant', platform.variant] : []),
    skopeoReference(source, tag), `oci:${layout}:kiln`,
  ];
}

/** Fails with the packages to install when skopeo or umoci is missing. */
function checkContainerTools(): void {
  checkTools(requiredTools({ tools: new Map([['skopeo', 'to read container images'], ['umoci', 'to unpack container images']]) }));
}

/** What to unpack where. */
export interface ContainerUnpackRequest {
  source: ContainerSource;
  /** Image inside a layout or archive that holds several (`TAG`, or `NAME:TAG` for docker archives). */
  tag: string | undefined;
  arch: string;
  target: string;
  log: LogSink;
  signal?: AbortSignal | undefined;
  stack: ResourceStack;
  tmpParent?: string | undefined;
}

/** Unpacks the container image's root filesystem into `request.target`. */
export async function unpackContainerImage(request: ContainerUnpackRequest): Promise<void> {
  checkContainerTools();
  const { log, signal, source } = request;
  const work = await makeTempDir(request.stack, 'container-image', request.tmpParent, log);
  const layout = join(work, 'layout');
  await run(skopeoCopyArgv(source, request.tag, request.arch, layout), {
    log, signal, env: { TMPDIR: work }, what: `reading the container image ${skopeoReference(source, request.tag)}`,
    hint: 'a layout or archive holding several images needs DIB_LOCAL_IMAGE_TAG (TAG, or NAME:TAG for a docker archive)',
  });
  await run(['umoci', 'raw', 'unpack', '--image', `${layout}:kiln`, request.target], {
    privileged: true, log, signal, what: `unpacking the container image ${source.path} into ${request.target}`,
  });
}
