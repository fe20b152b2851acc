// The conversation between kiln on the host and its agent in the build VM: one JSON document
// per line on a virtio-serial port. The guest says it is up, the host sends the job, the guest
// streams the build's events and log lines and ends with its result; the host may ask it to
// stop (Ctrl-C, SIGTERM). Pure: types, encoding, decoding, and errors carried across.
import type { BuildRequest } from '../config/build-request.js';
import { KilnError } from '../errors.js';
import type { BuildEvent } from '../report/events.js';
import type { SourceDate } from '../reproducible/source-date.js';
import type { TransportedFile } from './output-transport.js';

/** A 9p share as the guest mounts it. */
export interface GuestMount {
  tag: string;
  /** Where it is mounted in the guest. */
  target: string;
  readOnly: boolean;
}

/** A host file the build reads (cache-inputs), bind-mounted read-only at its host path. */
export interface GuestFile {
  /** Its path in the guest below a mounted share. */
  source: string;
  /** Its host path, where the guest's hooks expect it. */
  target: string;
}

/** What the guest agent is asked to do. */
export interface GuestJob {
  /** The build, with its paths translated for the guest (outputs, cache, log). */
  request: BuildRequest;
  /** The host's built-in flavours folder (shared at the same path). */
  builtInFlavours: string;
  /** Flavours put in front of the user's (ramdisk builds). */
  prepend: string[];
  /** Shares in mount order: flavours at their host paths, outputs, the cache, input folders. */
  mounts: GuestMount[];
  files: GuestFile[];
  /** The cache: a read-only share below a writable overlay; new files are copied to `exportTo`. */
  cache: { lower: string; target: string; exportTo: string | undefined };
  /** Block device of the scratch disk (formatted by the guest). */
  workDevice: string;
  /** Folder the scratch disk is mounted on. */
  workMount: string;
  /** Block device the outputs leave by (output-transport.ts). */
  transportDevice: string;
  debug: boolean;
  /** The host plan's SOURCE_DATE_EPOCH when it derived one: the guest sees the flavour folders
   * without their git history, so it would date the build by file times and its outputs (and their
   * cache key) would differ from the host's. */
  newestInput?: SourceDate;
}

/** An error raised in the guest, as the host re-raises it. */
export interface CarriedError {
  message: string;
  details: string[];
  hint: string | undefined;
  exitCode: number;
}

/** Guest → host. */
export type GuestMessage =
  | { type: 'ready'; kernel: string }
  | { type: 'event'; event: BuildEvent }
  | { type: 'log'; label: string; text: string }
  /** `outputs`: where each output file is on the transport disk (a successful build). */
  | { type: 'done'; exitCode: number; error?: CarriedError; exported: number; outputs?: TransportedFile[] };

/** Host → guest. */
export type HostMessage = { type: 'job'; job: GuestJob } | { type: 'stop' };

/** One message as a line of the channel. */
export function encodeMessage(message: GuestMessage | HostMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** Parses one line of the channel; undefined for anything that is not a kiln message. */
export function decodeMessage<T extends GuestMessage | HostMessage>(line: string): T | undefined {
  try {
    const value = JSON.parse(line) as { type?: unknown };
    return typeof value === 'object' && value !== null && typeof value.type === 'string' ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

/** An error as it crosses to the host; anything but a KilnError is an internal error. */
export function carryError(error: unknown): CarriedError {
  if (error instanceof KilnError) return { message: error.message, details: error.details(), hint: error.hint, exitCode: error.exitCode };
  const text = error instanceof Error ? error.message : String(error);
  return { message: `internal error in the build VM: ${text}`, details: [], hint: 'this is a bug in kiln; please report it (run with --debug for the stack)', exitCode: 70 };
}

/** The KilnError the host raises for an error carried from the guest; `rewrite` fixes guest paths. */
export function raiseCarried(carried: CarriedError, rewrite: (text: string) => string = (t) => t): KilnError {
  const error = new KilnError(rewrite(carried.message), { exitCode: carried.exitCode, ...(carried.hint ? { hint: rewrite(carried.hint) } : {}) });
  const details = carried.details.map(rewrite);
  error.details = () => details;
  return error;
}
