// The build service's job: what a submitter asked for, where it stands, and where its results
// are. The states are BullMQ's lifecycle named as IMG named them: QUEUED (waiting) → BUILDING
// (active) → DONE | ERROR | CANCELLED.

/** Where a job stands. */
export type JobStatus = 'QUEUED' | 'BUILDING' | 'DONE' | 'ERROR' | 'CANCELLED';

/** Every status, in lifecycle order. */
export const JOB_STATUSES: readonly JobStatus[] = ['QUEUED', 'BUILDING', 'DONE', 'ERROR', 'CANCELLED'];

/** True once a job can change no more. */
export function isFinished(status: JobStatus): boolean {
  return status === 'DONE' || status === 'ERROR' || status === 'CANCELLED';
}

/** What to build: the part of a job a worker needs. This is also the AMQP job message body. */
export interface JobSpec {
  /** Job id (UUID). */
  id: string;
  /** Image name: output files are NAME.EXT. */
  name: string;
  /** Submitter's e-mail address. */
  email: string;
  /** Target architecture (Debian name). */
  arch: string;
  /** Distribution release (DIB_RELEASE), empty for the flavours' default. */
  release: string;
  /** Output formats (IMG's `imagetype`), e.g. ["qcow2"] or ["tar"]. */
  types: string[];
  /** Flavours to mix, in order. */
  flavours: string[];
  /** Extra packages (-p). */
  packages: string[];
  /** Leave out the `base` flavour (-n). */
  skipBase: boolean;
  /** DIB_* variables for the build. */
  environment: Record<string, string>;
  /** kiln's JSON build spec, when the job was submitted as one (run with kiln-build-image). */
  spec?: Record<string, unknown>;
  /** A tar.gz of extra flavours (base64), unpacked safely by the worker before the build. */
  upload?: string;
}

/** The progress of one phase or step of a running build. */
export interface PhaseProgress {
  name: string;
  state: 'pending' | 'running' | 'done' | 'cached';
  /** How long it took, when done. */
  durationMs?: number;
}

/** A published file of a finished job. */
export interface JobFile {
  name: string;
  url: string;
  bytes: number;
  /** `image` for the outputs asked for, `log`, `manifest` (NAME.manifest.json), `sbom` (SPDX and
   * CycloneDX), or `other` (checksums, dib-manifests). */
  kind: 'image' | 'log' | 'manifest' | 'sbom' | 'other';
}

/** A job as the store keeps it and the API returns it. */
export interface Job extends Omit<JobSpec, 'upload'> {
  status: JobStatus;
  /** Why it failed or was cancelled; empty otherwise. */
  error: string;
  /** The user whose token submitted it ('' when submitted as a bare AMQP message). */
  user: string;
  /** Direct URLs of the images (IMG's `url`/`image`). */
  imageUrls: string[];
  /** Direct URL of the log (IMG's `log`); valid as soon as the job starts. */
  logUrl: string;
  /** Every published file: images, log, checksums, manifests. */
  files: JobFile[];
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Worker building it or that built it. */
  worker: string;
  /** The phase or step running now. */
  phase: string;
  progress: PhaseProgress[];
  /** How many times a worker started it. */
  attempts: number;
  /** Things that happened to the job beyond its status (interruptions, requeues). */
  notes: string[];
  /** Whether the submission included uploaded flavours. */
  hasUpload: boolean;
}

/** The progress list a build of these output types goes through (phases, then outputs). */
export function initialProgress(phaseNames: readonly string[]): PhaseProgress[] {
  return phaseNames.map((name) => ({ name, state: 'pending' }));
}
