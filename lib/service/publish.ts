// Where a job's files end up: base_dir/<job id>/, served at base_url/<job id>/ (IMG's layout).
// Each file is written under a temporary name and renamed, so a reader never sees half a file;
// deleting a job removes its folder, log included.
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { outputFormat } from '../outputs/registry.js';
import type { JobFile, JobSpec } from './job.js';
import type { JobPublisher } from './worker.js';

/** The folder of a job's published files. */
export function jobFolder(baseDir: string, id: string): string {
  if (!/^[0-9a-f-]{36}$/.test(id)) throw new Error(`not a job id: ${id}`);
  return join(baseDir, id);
}

/** The URL of a published file. */
export function fileUrl(baseUrl: string, id: string, name: string): string {
  return `${baseUrl}/${id}/${encodeURIComponent(name)}`;
}

/** The name of a job's log. */
export function logName(jobName: string): string {
  return `${jobName}.log`;
}

/** What a published file is: an image asked for, the log, the build's manifest, an SBOM, or other. */
export function fileKind(file: string, jobName: string, types: readonly string[]): JobFile['kind'] {
  if (file === logName(jobName)) return 'log';
  if (file === `${jobName}.manifest.json`) return 'manifest';
  if (file === `${jobName}.spdx.json` || file === `${jobName}.cdx.json`) return 'sbom';
  return types.some((t) => file === `${jobName}.${outputFormat(t).extension}`) ? 'image' : 'other';
}

/** Moves one file into place: rename when possible, else copy under a temporary name and rename. */
function placeFile(from: string, folder: string, name: string): number {
  mkdirSync(folder, { recursive: true });
  const to = join(folder, name);
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    const partial = join(folder, `.${name}.partial`);
    copyFileSync(from, partial);
    renameSync(partial, to);
    unlinkSync(from);
  }
  return statSync(to).size;
}

/** Publishes every regular file of `outDir` into the job's folder; returns them, images first. */
function publishFolder(outDir: string, target: { baseDir: string; baseUrl: string }, job: { id: string; name: string; types: readonly string[] }): JobFile[] {
  const folder = jobFolder(target.baseDir, job.id);
  const files: JobFile[] = [];
  for (const name of readdirSync(outDir).sort()) {
    const path = join(outDir, name);
    if (!statSync(path).isFile() || name.startsWith('.')) continue;
    const bytes = placeFile(path, folder, name);
    files.push({ name, url: fileUrl(target.baseUrl, job.id, name), bytes, kind: fileKind(name, job.name, job.types) });
  }
  return sortFiles(files);
}

/** Images first, then the log, the manifest, the SBOMs and the rest, each by name. */
export function sortFiles(files: JobFile[]): JobFile[] {
  const rank = { image: 0, log: 1, manifest: 2, sbom: 3, other: 4 } as const;
  return [...files].sort((a, b) => rank[a.kind] - rank[b.kind] || a.name.localeCompare(b.name));
}

/** Removes everything a job published, its log included. */
export function removeJobFolder(baseDir: string, id: string): void {
  rmSync(jobFolder(baseDir, id), { recursive: true, force: true });
}

/** Publishes into base_dir on this machine (local, or shared between machines over NFS). */
export class FolderPublisher implements JobPublisher {
  constructor(private readonly target: { baseDir: string; baseUrl: string }) {}

  async publish(job: JobSpec, outDir: string): Promise<JobFile[]> {
    return publishFolder(outDir, this.target, job);
  }

  folder(job: JobSpec): string {
    return jobFolder(this.target.baseDir, job.id);
  }
}

/** A job with every URL made from the current base URL (it may have changed since the job ran). */
export function withUrls<T extends { id: string; name: string; logUrl: string; imageUrls: string[]; files: JobFile[] }>(job: T, baseUrl: string): T {
  const files = job.files.map((f) => ({ ...f, url: fileUrl(baseUrl, job.id, f.name) }));
  return { ...job, files, logUrl: fileUrl(baseUrl, job.id, logName(job.name)), imageUrls: files.filter((f) => f.kind === 'image').map((f) => f.url) };
}
