// The embedded job store: SQLite in one file under the state folder, through better-sqlite3.
// Write-ahead logging keeps every committed change through a SIGKILL of the server; taking the
// next queued job is one transaction, so two workers never take the same job.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { JOB_STATUSES, type Job, type JobSpec, type JobStatus } from '../job.js';
import type { JobFilter, JobPage, JobPatch, JobStore, WorkerRecord } from './store.js';

/** Schema changes in order; PRAGMA user_version counts those applied. */
const MIGRATIONS = [
  `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL, email TEXT NOT NULL, user TEXT NOT NULL,
  arch TEXT NOT NULL, release TEXT NOT NULL,
  types TEXT NOT NULL, flavours TEXT NOT NULL, packages TEXT NOT NULL, skip_base TEXT NOT NULL, environment TEXT NOT NULL,
  spec TEXT, upload TEXT,
  status TEXT NOT NULL, error TEXT NOT NULL,
  image_urls TEXT NOT NULL, log_url TEXT NOT NULL, files TEXT NOT NULL,
  created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,
  worker TEXT NOT NULL, phase TEXT NOT NULL, progress TEXT NOT NULL,
  attempts INTEGER NOT NULL, notes TEXT NOT NULL,
  cancel_requested INTEGER NOT NULL DEFAULT 0, delete_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE TABLE IF NOT EXISTS deleted_jobs (id TEXT PRIMARY KEY, deleted_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workers (
  id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, kind TEXT NOT NULL,
  job TEXT NOT NULL, started_at TEXT NOT NULL, last_seen TEXT NOT NULL, alive INTEGER NOT NULL
);
`,
  // The AMQP queue's outbox: a job is in the store first, and marked once RabbitMQ confirmed it.
  'ALTER TABLE jobs ADD COLUMN brokered INTEGER NOT NULL DEFAULT 0',
];

/** Job fields stored as JSON text, and their columns. */
const JSON_COLUMNS = {
  types: 'types', flavours: 'flavours', packages: 'packages', skipBase: 'skip_base', environment: 'environment', spec: 'spec',
  imageUrls: 'image_urls', files: 'files', progress: 'progress', notes: 'notes',
} as const;
/** Job fields stored as they are, and their columns. */
const PLAIN_COLUMNS = {
  name: 'name', email: 'email', user: 'user', arch: 'arch', release: 'release', status: 'status', error: 'error',
  logUrl: 'log_url', startedAt: 'started_at', finishedAt: 'finished_at', worker: 'worker', phase: 'phase', attempts: 'attempts',
} as const;

type Row = Record<string, unknown>;

function rowToJob(row: Row): Job {
  const job: Record<string, unknown> = { id: row.id, createdAt: row.created_at, hasUpload: row.upload !== null };
  for (const [field, column] of Object.entries(PLAIN_COLUMNS)) job[field] = row[column];
  for (const [field, column] of Object.entries(JSON_COLUMNS)) {
    const text = row[column];
    if (typeof text === 'string') job[field] = JSON.parse(text);
  }
  return job as unknown as Job;
}

function patchColumns(patch: JobPatch): { sets: string[]; values: Row } {
  const sets: string[] = [];
  const values: Row = {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (field in PLAIN_COLUMNS) {
      const column = PLAIN_COLUMNS[field as keyof typeof PLAIN_COLUMNS];
      sets.push(`${column} = @${column}`);
      values[column] = value;
    } else if (field in JSON_COLUMNS) {
      const column = JSON_COLUMNS[field as keyof typeof JSON_COLUMNS];
      sets.push(`${column} = @${column}`);
      values[column] = JSON.stringify(value);
    }
  }
  return { sets, values };
}

/** The job store in an SQLite file (`:memory:` for tests). */
export class SqliteJobStore implements JobStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
  }

  private migrate(): void {
    const applied = this.db.pragma('user_version', { simple: true }) as number;
    for (const [index, sql] of MIGRATIONS.entries()) {
      if (index < applied) continue;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.pragma(`user_version = ${index + 1}`);
      })();
    }
  }

  async insert(job: Job, upload?: string): Promise<void> {
    const values: Row = { id: job.id, created_at: job.createdAt, upload: upload ?? null };
    for (const [field, column] of Object.entries(PLAIN_COLUMNS)) values[column] = job[field as keyof Job] ?? null;
    for (const [field, column] of Object.entries(JSON_COLUMNS)) {
      const value = job[field as keyof Job];
      values[column] = value === undefined ? null : JSON.stringify(value);
    }
    const columns = Object.keys(values);
    this.db.prepare(`INSERT INTO jobs (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`).run(values);
  }

  async get(id: string): Promise<Job | undefined> {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    return row ? rowToJob(row) : undefined;
  }

  async spec(id: string): Promise<JobSpec | undefined> {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Row | undefined;
    if (!row) return undefined;
    const job = rowToJob(row);
    return {
      id: job.id, name: job.name, email: job.email, arch: job.arch, release: job.release, types: job.types,
      flavours: job.flavours, packages: job.packages, skipBase: job.skipBase, environment: job.environment,
      ...(job.spec ? { spec: job.spec } : {}),
      ...(typeof row.upload === 'string' ? { upload: row.upload } : {}),
    };
  }

  async list(filter: JobFilter): Promise<JobPage> {
    const where: string[] = [];
    const values: Row = {};
    if (filter.status?.length) {
      where.push(`status IN (${filter.status.map((_, i) => `@s${i}`).join(', ')})`);
      filter.status.forEach((s, i) => (values[`s${i}`] = s));
    }
    if (filter.email) (where.push('email = @email'), (values.email = filter.email));
    if (filter.user) (where.push('user = @user'), (values.user = filter.user));
    if (filter.name) (where.push("name LIKE @name ESCAPE '\\'"), (values.name = `%${filter.name.replace(/[\\%_]/g, '\\$&')}%`));
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM jobs ${clause}`).get(values) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM jobs ${clause} ORDER BY seq DESC LIMIT @limit OFFSET @offset`)
      .all({ ...values, limit: filter.limit ?? 50, offset: filter.offset ?? 0 }) as Row[];
    return { jobs: rows.map(rowToJob), total };
  }

  async update(id: string, patch: JobPatch): Promise<Job | undefined> {
    const { sets, values } = patchColumns(patch);
    if (sets.length) this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = @id`).run({ ...values, id });
    return this.get(id);
  }

  async updateIf(id: string, statuses: readonly JobStatus[], patch: JobPatch): Promise<Job | undefined> {
    const { sets, values } = patchColumns(patch);
    const allowed = statuses.map((_, i) => `@allowed${i}`).join(', ');
    statuses.forEach((s, i) => (values[`allowed${i}`] = s));
    const changed = this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = @id AND status IN (${allowed})`).run({ ...values, id }).changes;
    return changed ? this.get(id) : undefined;
  }

  async claimNext(worker: string): Promise<Job | undefined> {
    const claim = this.db.transaction((): string | undefined => {
      const row = this.db.prepare("SELECT id FROM jobs WHERE status = 'QUEUED' ORDER BY seq LIMIT 1").get() as { id: string } | undefined;
      if (!row) return undefined;
      this.db
        .prepare("UPDATE jobs SET status = 'BUILDING', worker = ?, started_at = ?, attempts = attempts + 1 WHERE id = ?")
        .run(worker, new Date().toISOString(), row.id);
      return row.id;
    });
    const id = claim.immediate();
    return id === undefined ? undefined : this.get(id);
  }

  async requestStop(id: string, what: 'cancel' | 'delete'): Promise<void> {
    const column = what === 'cancel' ? 'cancel_requested' : 'delete_requested';
    this.db.prepare(`UPDATE jobs SET ${column} = 1 WHERE id = ?`).run(id);
  }

  async stopRequested(id: string): Promise<{ cancel: boolean; delete: boolean }> {
    const row = this.db.prepare('SELECT cancel_requested, delete_requested FROM jobs WHERE id = ?').get(id) as Row | undefined;
    return { cancel: row?.cancel_requested === 1, delete: row?.delete_requested === 1 };
  }

  async markBrokered(id: string): Promise<void> {
    this.db.prepare('UPDATE jobs SET brokered = 1 WHERE id = ?').run(id);
  }

  async unbrokered(): Promise<string[]> {
    return (this.db.prepare("SELECT id FROM jobs WHERE status = 'QUEUED' AND brokered = 0 ORDER BY seq").all() as { id: string }[]).map((r) => r.id);
  }

  async remove(id: string): Promise<boolean> {
    const remove = this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO deleted_jobs (id, deleted_at) VALUES (?, ?)').run(id, new Date().toISOString());
      return this.db.prepare('DELETE FROM jobs WHERE id = ?').run(id).changes > 0;
    });
    return remove.immediate();
  }

  async wasDeleted(id: string): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM deleted_jobs WHERE id = ?').get(id) !== undefined;
  }

  async counts(): Promise<Record<JobStatus, number>> {
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const row of this.db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all() as { status: JobStatus; n: number }[]) {
      counts[row.status] = row.n;
    }
    return counts;
  }

  async saveWorker(w: WorkerRecord): Promise<void> {
    this.db
      .prepare(`INSERT INTO workers (id, host, pid, kind, job, started_at, last_seen, alive) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, kind = excluded.kind, job = excluded.job,
        started_at = excluded.started_at, last_seen = excluded.last_seen, alive = excluded.alive`)
      .run(w.id, w.host, w.pid, w.kind, w.job, w.startedAt, w.lastSeen, w.alive ? 1 : 0);
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    const rows = this.db.prepare('SELECT * FROM workers ORDER BY alive DESC, last_seen DESC').all() as Row[];
    return rows.map((r) => ({
      id: String(r.id), host: String(r.host), pid: Number(r.pid), kind: r.kind as WorkerRecord['kind'], job: String(r.job),
      startedAt: String(r.started_at), lastSeen: String(r.last_seen), alive: r.alive === 1,
    }));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
