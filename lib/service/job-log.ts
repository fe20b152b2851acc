// A job's log as the service publishes it: base_dir/<id>/<name>.log, appended to as the
// worker streams it (every attempt of the job, each headed by a line saying which worker ran
// it). It stays when the job fails and goes when the job is deleted.
import { appendFileSync, existsSync, mkdirSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { jobFolder, logName } from './publish.js';

/** Appends to and reads the published logs under base_dir. */
export class JobLogs {
  /** Next expected offset per job attempt, so a repeated message is not appended twice. */
  private readonly next = new Map<string, number>();

  constructor(private readonly baseDir: string) {}

  /** The log file of a job. */
  path(id: string, name: string): string {
    return join(jobFolder(this.baseDir, id), logName(name));
  }

  /** Appends `text` sent at `offset` of an attempt's stream; returns what was new and the log's new size. */
  append(id: string, name: string, attempt: number, offset: number, text: string): { fresh: string; size: number } {
    const key = `${id}/${attempt}`;
    const expected = this.next.get(key) ?? 0;
    const skip = Math.max(0, expected - offset);
    const fresh = skip >= Buffer.byteLength(text) ? '' : Buffer.from(text).subarray(skip).toString();
    if (!fresh) return { fresh, size: 0 };
    const size = this.write(id, name, fresh);
    this.next.set(key, offset + Buffer.byteLength(text));
    return { fresh, size };
  }

  /** Appends the service's own text (not part of a worker's stream); returns the new size. */
  write(id: string, name: string, text: string): number {
    mkdirSync(jobFolder(this.baseDir, id), { recursive: true });
    appendFileSync(this.path(id, name), text);
    return statSync(this.path(id, name)).size;
  }

  /** Forgets the offsets of a job that ended. */
  forget(id: string): void {
    for (const key of this.next.keys()) if (key.startsWith(`${id}/`)) this.next.delete(key);
  }

  /** The log's bytes from `from` on ('' when there is no log yet). */
  read(id: string, name: string, from = 0): string {
    const path = this.path(id, name);
    if (!existsSync(path)) return '';
    const size = statSync(path).size;
    if (from >= size) return '';
    const buffer = Buffer.alloc(size - from);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, from);
    } finally {
      closeSync(fd);
    }
    return buffer.toString();
  }

  /** The log's size in bytes (0 when there is none). */
  size(id: string, name: string): number {
    const path = this.path(id, name);
    return existsSync(path) ? statSync(path).size : 0;
  }
}
