// Puts a raw filesystem image into the container its spec asks for (gzip, as Fuel did; zstd; or
// none), written under a temporary name beside the final one and renamed when complete, and
// measures both: size and MD5 of the raw image (what provisioning checks after writing it) and of
// the container (what a download can be checked against).
import { stat } from 'node:fs/promises';
import type { FilesystemImageRequest } from '../config/build-request.js';
import { run } from '../exec/run.js';
import { haveTool } from '../exec/host-tools.js';
import type { LogSink } from '../log.js';
import { hashFile } from '../outputs/checksum.js';
import { currentOutput, writeAtomically } from '../outputs/partial.js';

/** Sizes and digests of one image and its container. */
export interface ContainerFacts {
  rawSize: number;
  rawMd5: string;
  containerSize: number;
  containerMd5: string;
  containerSha256: string;
}

/** The command that writes `raw` in `container` to standard output (pure). */
export function containerArgv(container: FilesystemImageRequest['container'], raw: string, pigz: boolean): string[] {
  switch (container) {
    case 'gzip':
      // -n: no name or time stamp in the header, so the same image gives the same file.
      return [pigz ? 'pigz' : 'gzip', '-c', '-n', '-6', raw];
    case 'zstd':
      return ['zstd', '-c', '-q', '-T0', '-3', raw];
    default:
      return ['cat', raw];
  }
}

/** Writes the container of `raw` at `path`; returns the facts the metadata records. */
export async function writeContainer(raw: string, path: string, container: FilesystemImageRequest['container'], log: LogSink, signal?: AbortSignal): Promise<ContainerFacts> {
  const rawDigests = await hashFile(raw, signal);
  const rawSize = (await stat(raw)).size;
  await writeAtomically(path, async (partial) => {
    if (container === 'raw') {
      await run(['cp', '--sparse=always', raw, partial], { log, signal, what: `copying the image to ${path}` });
    } else {
      await run(containerArgv(container, raw, haveTool('pigz')), { log, signal, stdoutFile: partial, what: `writing ${path}` });
    }
  }, { log });
  // Staged with the build's other outputs until the build succeeds.
  const written = currentOutput(path);
  const digests = await hashFile(written, signal);
  return { rawSize, rawMd5: rawDigests.md5, containerSize: (await stat(written)).size, containerMd5: digests.md5, containerSha256: digests.sha256 };
}
