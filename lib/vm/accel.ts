// Which accelerator the build VM gets: KVM when /dev/kvm opens and a guest really runs on it
// (on some hosts /dev/kvm exists but guests hang, so a tiny guest must finish within a few
// seconds), else QEMU's software emulation (TCG), which works everywhere but is several times
// slower. The probe boots a 512-byte boot sector that writes to QEMU's isa-debug-exit port:
// QEMU then exits with status 3, which no other outcome produces.
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';

/** An accelerator choice and why it was made. */
export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  /** Why (shown in the plan, the log and the speed warning). */
  reason: string;
}

/** The exit status of QEMU when the probe guest ran to its end ((1 << 1) | 1). */
const PROBE_EXIT_STATUS = 3;

/** The probe's boot sector: `mov al,1; out 0xf4,al; hlt; jmp $-1`, then the 0x55AA signature (pure). */
export function probeBootSector(): Buffer {
  const sector = Buffer.alloc(512);
  Buffer.from([0xb0, 0x01, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd]).copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** The qemu argv that runs the probe guest with `accel` (pure). */
export function probeCommand(accel: 'kvm' | 'tcg', diskPath: string): string[] {
  return [
    'qemu-system-x86_64', '-accel', accel, '-machine', 'pc', '-m', '16', '-nodefaults', '-no-user-config', '-display', 'none',
    '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-drive', `file=${escapeOption(diskPath)},format=raw,if=ide`, '-boot', 'c',
  ];
}

/** Escapes a value inside a QEMU option list (a comma is written twice). */
export function escapeOption(value: string): string {
  return value.replace(/,/g, ',,');
}

/** Why /dev/kvm cannot be used by this user, or undefined if it opens for reading and writing. */
export function kvmDeviceProblem(device = '/dev/kvm'): string | undefined {
  try {
    closeSync(openSync(device, 'r+'));
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${device} does not exist (no KVM on this host)`;
    if (code === 'EACCES' || code === 'EPERM') return `${device} is not open to this user (add it to group kvm)`;
    return `${device} cannot be opened (${code ?? String(error)})`;
  }
}

/** Runs the probe guest; resolves to undefined when it finished, else to what went wrong. */
export async function runProbe(accel: 'kvm' | 'tcg', workDir: string, timeoutMs: number, log?: LogSink): Promise<string | undefined> {
  const disk = join(workDir, 'kvm-probe.img');
  writeFileSync(disk, probeBootSector());
  const result = await run(probeCommand(accel, disk), { forceSignal: AbortSignal.timeout(timeoutMs), allowFailure: true, log, label: 'kvm-probe' })
    .catch((error: unknown) => ({ exitCode: undefined, signal: undefined, tail: [error instanceof Error ? error.message : String(error)] }));
  if (result.exitCode === PROBE_EXIT_STATUS) return undefined;
  if (result.signal === 'SIGKILL') return `a test guest did not finish within ${timeoutMs / 1000} s under ${accel.toUpperCase()}`;
  const said = result.tail.find((line) => line.trim());
  return `a test guest failed under ${accel.toUpperCase()} (qemu ${result.signal ? `was killed with ${result.signal}` : `exited with ${String(result.exitCode)}`}${said ? `: ${said}` : ''})`;
}

/** The remembered probe result of this boot of the host, if any. */
function rememberedChoice(file: string | undefined, bootId: string): AccelChoice | undefined {
  if (!file) return undefined;
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { bootId: string; choice: AccelChoice };
    return saved.bootId === bootId ? saved.choice : undefined;
  } catch {
    return undefined;
  }
}

function hostBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Chooses the accelerator: `forced` (KILN_VM_ACCEL) wins; otherwise KVM if /dev/kvm opens and
 * the probe guest finishes. A probe result is remembered in `rememberFile` until the host
 * reboots, so a host where KVM hangs costs the probe's timeout once, not on every build.
 */
export async function chooseAccel(opts: { forced?: string | undefined; workDir: string; rememberFile?: string; timeoutMs?: number; log?: LogSink }): Promise<AccelChoice> {
  if (opts.forced === 'tcg') return { accel: 'tcg', reason: 'KILN_VM_ACCEL=tcg' };
  const problem = kvmDeviceProblem();
  if (problem) return { accel: 'tcg', reason: problem };
  if (opts.forced === 'kvm') return { accel: 'kvm', reason: 'KILN_VM_ACCEL=kvm' };
  const bootId = hostBootId();
  const remembered = rememberedChoice(opts.rememberFile, bootId);
  if (remembered) return remembered;
  const failure = await runProbe('kvm', opts.workDir, opts.timeoutMs ?? 10_000, opts.log);
  const choice: AccelChoice = failure ? { accel: 'tcg', reason: failure } : { accel: 'kvm', reason: '/dev/kvm works (a test guest ran)' };
  if (opts.rememberFile) {
    try {
      writeFileSync(opts.rememberFile, JSON.stringify({ bootId, choice }));
    } catch {
      // A read-only cache only costs the probe again next time.
    }
  }
  return choice;
}
