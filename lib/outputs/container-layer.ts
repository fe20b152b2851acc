// The one layer of kiln's container images: the image root archived exactly as the tar output
// archives it (the same tar command line, so owners, modes, hard links, xattrs and device nodes,
// member order and normalised times are shared), hashed into its diff_id, and gzip-compressed for
// OCI layouts with Node's zlib: same tree, same bytes, same digests, whatever the host's gzip.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import { run } from '../exec/run.js';
import { hashFile } from './checksum.js';
import type { LogSink } from '../log.js';
import { tarArgv } from './tar.js';
import { assertNothingMounted } from './tree.js';

/** A blob on disk with its digest. */
export interface Blob {
  path: string;
  /** `sha256:<hex>` of the file's bytes. */
  digest: string;
  size: number;
}

/** A hashing pass-through stream. */
class Digester extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  /** `sha256:<hex>` of everything that went through. */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** What the layer writer needs. */
export interface LayerRequest {
  root: string;
  /** Where the uncompressed layer goes. */
  path: string;
  log: LogSink;
  signal?: AbortSignal | undefined;
  forceSignal?: AbortSignal | undefined;
}

/** Archives the root into `request.path`; returns the layer with its diff_id as digest. */
export async function writeLayer(request: LayerRequest): Promise<Blob> {
  assertNothingMounted(request.root);
  const { log, signal, forceSignal } = request;
  await run(tarArgv(request.root, 'none'), {
    privileged: true, log, signal, forceSignal, stdoutFile: request.path, label: 'tar', what: `archiving ${request.root} as the container layer`,
  });
  return { path: request.path, digest: `sha256:${(await hashFile(request.path, signal)).sha256}`, size: statSync(request.path).size };
}

/** Gzips a layer into `path` (zlib level 6, no name or time in the header: deterministic). */
export async function gzipLayer(layer: Blob, path: string, signal?: AbortSignal): Promise<Blob> {
  const digester = new Digester();
  await pipeline(createReadStream(layer.path), createGzip({ level: 6, chunkSize: 1 << 20, strategy: constants.Z_DEFAULT_STRATEGY }), digester, createWriteStream(path), { signal });
  return { path, digest: digester.digest(), size: digester.bytes };
}
