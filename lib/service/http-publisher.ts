// Publishing through kiln-server for workers whose base_dir is not shared: each file of a
// finished job is streamed to PUT /api/jobs/<id>/files/<name> with the worker's token; the server
// writes it under a temporary name and renames it, as it does its own files.
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { KilnError } from '../errors.js';
import type { JobFile, JobSpec } from './job.js';
import { fileKind, sortFiles } from './publish.js';
import type { JobPublisher } from './worker.js';

/** Uploads a job's files to kiln-server. */
export class HttpPublisher implements JobPublisher {
  constructor(private readonly server: string, private readonly token: string) {}

  async publish(job: JobSpec, outDir: string): Promise<JobFile[]> {
    const files: JobFile[] = [];
    for (const name of readdirSync(outDir).sort()) {
      const path = join(outDir, name);
      const stat = statSync(path);
      if (!stat.isFile() || name.startsWith('.')) continue;
      const response = await fetch(`${this.server}/api/jobs/${job.id}/files/${encodeURIComponent(name)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/octet-stream', 'content-length': String(stat.size) },
        body: Readable.toWeb(createReadStream(path)) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      const answer = (await response.json().catch(() => ({}))) as { url?: string; bytes?: number; error?: string };
      if (!response.ok || answer.bytes !== stat.size) {
        throw new KilnError(`uploading ${name} to ${this.server} failed: ${answer.error ?? `${response.status} ${response.statusText}`}`);
      }
      files.push({ name, url: answer.url!, bytes: stat.size, kind: fileKind(name, job.name, job.types) });
    }
    return sortFiles(files);
  }

  folder(): undefined {
    return undefined;
  }
}
