// Who a kiln process is, in a way that survives pid reuse and pid namespaces: a pid alone names a
// different process after it is reused, and nothing at all in another pid namespace. Lock files
// and the markers of temp folders record the pid together with the machine's boot id, the
// process's start time (clock ticks since boot) and its pid namespace; a recorded process is
// "dead" only when that can be proven from here, and "unknown" (left alone) when it cannot.
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** A process, recorded so that it can be recognised later. */
export interface ProcessIdentity {
  pid: number;
  /** /proc/sys/kernel/random/boot_id: changes at every boot. */
  bootId: string;
  /** Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
  startTicks: number;
  /** /proc/PID/ns/pid (`pid:[4026531836]`): pids mean something only inside one namespace. */
  pidNamespace: string;
  host: string;
}

/** What can be said about a recorded process from here. */
export type Liveness = 'alive' | 'dead' | 'unknown';

/** The identity of process `pid` (default: this one); undefined if it does not exist. */
function processIdentity(pid = process.pid): ProcessIdentity | undefined {
  const startTicks = startTicksOf(pid);
  if (startTicks === undefined) return undefined;
  return { pid, bootId: bootId(), startTicks, pidNamespace: pidNamespace(pid === process.pid ? 'self' : String(pid)), host: hostname() };
}

/** This process's identity. */
export function selfIdentity(): ProcessIdentity {
  return processIdentity()!;
}

/** Whether the recorded process still runs: dead only when provable (same machine, boot and pid namespace). */
export function liveness(recorded: ProcessIdentity): Liveness {
  if (recorded.host !== hostname()) return 'unknown';
  if (recorded.bootId !== bootId()) return 'dead';
  if (recorded.pidNamespace !== pidNamespace('self')) return 'unknown';
  const now = startTicksOf(recorded.pid);
  return now === recorded.startTicks ? 'alive' : 'dead';
}

/** Reads an identity written by kiln; undefined for anything else. */
export function parseIdentity(text: string): ProcessIdentity | undefined {
  try {
    const value = JSON.parse(text) as Partial<ProcessIdentity>;
    const ok = Number.isSafeInteger(value.pid) && typeof value.bootId === 'string' && Number.isSafeInteger(value.startTicks)
      && typeof value.pidNamespace === 'string' && typeof value.host === 'string';
    return ok ? (value as ProcessIdentity) : undefined;
  } catch {
    return undefined;
  }
}

/** One line for people: `kiln process 4242 (in another pid namespace)`. */
export function describeProcess(recorded: ProcessIdentity): string {
  const where = recorded.host !== hostname() ? ` on ${recorded.host}`
    : recorded.pidNamespace !== pidNamespace('self') ? ' in another pid namespace' : '';
  return `kiln process ${recorded.pid}${where}`;
}

/** Field 22 (start time) of /proc/PID/stat; undefined when the process is gone. */
function startTicksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: field 3 is [0].
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function pidNamespace(pid: string): string {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return 'unknown';
  }
}
