// A client of kiln-server's HTTP API (kiln-submit, the benchmarks and the tests use it): JSON
// in and out, the bearer token on every call, API errors as KilnErrors that name the field.
import { createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KilnError } from '../errors.js';
import type { Job, JobFile } from './job.js';
import type { Submission } from './submission.js';

/** An error answer of the API. */
class ApiError extends KilnError {
  constructor(readonly status: number, message: string, readonly field?: string, hint?: string) {
    super(message, { exitCode: status >= 400 && status < 500 ? 2 : 1, ...(hint ? { hint } : {}) });
  }
}

/** A page of the job list. */
export interface JobList {
  jobs: Job[];
  total: number;
  counts: Record<string, number>;
}

/** Talks to one kiln-server. */
export class ServiceClient {
  constructor(readonly server: string, private readonly token: string | undefined) {}

  private headers(json: boolean): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...(json ? { 'content-type': 'application/json' } : {}) };
  }

  /** One API call; throws ApiError for error answers and KilnError when the server is unreachable. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.server}${path}`, { method, headers: this.headers(body !== undefined), ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (error) {
      throw new KilnError(`cannot reach kiln-server at ${this.server}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`, { hint: 'check --server (or $KILN_SERVER) and that kiln-server runs' });
    }
    const text = await response.text();
    const data = text && response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : { text };
    if (!response.ok) throw new ApiError(response.status, String(data.error ?? `${response.status} ${response.statusText}`), data.field as string | undefined, data.hint as string | undefined);
    return data as T;
  }

  submit(submission: Submission): Promise<Job> {
    return this.call('POST', '/api/jobs', submission);
  }

  job(id: string): Promise<Job> {
    return this.call('GET', `/api/jobs/${encodeURIComponent(id)}`);
  }

  list(query: Record<string, string | number | undefined> = {}): Promise<JobList> {
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]): [string, string] => [k, String(v)]));
    return this.call('GET', `/api/jobs${params.size ? `?${params}` : ''}`);
  }

  cancel(id: string): Promise<Job> {
    return this.call('POST', `/api/jobs/${encodeURIComponent(id)}/cancel`);
  }

  remove(id: string): Promise<Record<string, string>> {
    return this.call('DELETE', `/api/jobs/${encodeURIComponent(id)}`);
  }

  /** Writes the job's log to `out` as it grows, until the job ends; survives dropped connections. */
  async followLog(id: string, out: (text: string) => void): Promise<Job> {
    let offset = 0;
    for (let failures = 0; ; ) {
      try {
        const response = await fetch(`${this.server}/api/jobs/${encodeURIComponent(id)}/log?follow=1&from=${offset}`, { headers: this.headers(false) });
        if (!response.ok || !response.body) throw new ApiError(response.status, `cannot follow the log of job ${id}: ${response.status}`);
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          offset += chunk.byteLength;
          out(Buffer.from(chunk).toString());
        }
        failures = 0;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) throw error;
        if (++failures > 30) throw error;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const job = await this.job(id).catch(() => undefined);
      if (job && ['DONE', 'ERROR', 'CANCELLED'].includes(job.status)) return job;
    }
  }

  /** Downloads one published file into `dir` (written under a temporary name, then renamed). */
  async download(file: JobFile, dir: string): Promise<string> {
    mkdirSync(dir, { recursive: true });
    const response = await fetch(file.url, { headers: this.headers(false) });
    if (!response.ok || !response.body) throw new ApiError(response.status, `cannot download ${file.url}: ${response.status} ${response.statusText}`);
    const path = join(dir, file.name);
    const partial = join(dir, `.${file.name}.partial`);
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(partial));
    const bytes = statSync(partial).size;
    if (file.kind !== 'log' && bytes !== file.bytes) throw new KilnError(`downloaded ${bytes} bytes of ${file.name}, expected ${file.bytes}`);
    renameSync(partial, path);
    return path;
  }
}
