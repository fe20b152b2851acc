// Boots a disk image (or a kernel + initrd) under QEMU with software emulation and watches the
// serial console for a marker. -enable-kvm is never used: it hangs on the machines kiln is
// built on, and TCG works everywhere.
import { spawn } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync } from 'node:fs';
import { KilnError } from '../errors.js';
import { consoleError, SerialConsole } from './serial-console.js';

/** Firmware to boot with. */
export type Firmware = 'bios' | 'uefi';

/** One boot. */
export interface BootRequest {
  /** Disk images attached as virtio disks, first one boots. */
  disks: { path: string; format: string; readOnly?: boolean }[];
  firmware: Firmware;
  /** Direct kernel boot. */
  kernel?: string;
  initrd?: string;
  append?: string;
  /** Regular expression the console must print. */
  marker: RegExp;
  /** Console text that means the boot failed (kernel panic, emergency shell). */
  failure?: RegExp;
  timeoutMs: number;
  /** Copy of the console output. */
  consoleLog?: string;
  memoryMiB?: number;
  /** A writable copy of the UEFI variables goes here. */
  varsPath?: string;
  signal?: AbortSignal;
  /** Wait for the machine to power off by itself instead of stopping at the marker. */
  waitForExit?: boolean;
  /** Discard every write to the disks (qemu -snapshot): the images stay as they were. */
  snapshot?: boolean;
  /** TCP ports of the guest reachable on 127.0.0.1 of the host (user networking's hostfwd). */
  forwards?: { hostPort: number; guestPort: number }[];
  /** Run with the machine up, once the marker appeared; the boot ends (and fails with its
   * error) when it settles. For checks from outside (SSH through a forwarded port) or on the
   * serial console (console-login.ts). */
  whileRunning?: (serial: SerialConsole) => Promise<void>;
}

/** What the console showed. */
export interface BootResult {
  console: string;
  seconds: number;
}

/** OVMF firmware files on Debian (package ovmf). */
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/** The qemu-system-x86_64 argv for a boot (pure apart from the firmware paths). */
function qemuCommand(request: BootRequest): string[] {
  const forwards = (request.forwards ?? []).map((f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join('');
  const argv = ['qemu-system-x86_64', '-accel', 'tcg', '-m', String(request.memoryMiB ?? 1024), '-smp', '2', '-nographic', '-no-reboot', '-serial', 'mon:stdio', '-nic', `user,model=virtio-net-pci${forwards}`];
  if (request.firmware === 'uefi') {
    argv.push('-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,file=${request.varsPath}`);
  }
  for (const disk of request.disks) {
    argv.push('-drive', `file=${disk.path},format=${disk.format},if=virtio${disk.readOnly ? ',readonly=on' : ''}`);
  }
  if (request.snapshot) argv.push('-snapshot');
  if (request.kernel) argv.push('-kernel', request.kernel);
  if (request.initrd) argv.push('-initrd', request.initrd);
  if (request.append) argv.push('-append', request.append);
  return argv;
}

/** Boots and resolves when the marker appears (or the machine exits, if asked); rejects on failure or timeout. */
export async function boot(request: BootRequest): Promise<BootResult> {
  if (request.firmware === 'uefi') {
    if (!existsSync(OVMF_CODE)) throw new KilnError(`UEFI boot needs ${OVMF_CODE}`, { exitCode: 2, hint: 'apt-get install ovmf' });
    copyFileSync(OVMF_VARS, request.varsPath!);
  }
  const [file, ...args] = qemuCommand(request) as [string, ...string[]];
  const started = Date.now();
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const log = request.consoleLog ? createWriteStream(request.consoleLog) : undefined;
  const serial = new SerialConsole(child.stdin);
  let text = '';
  return new Promise<BootResult>((resolve, reject) => {
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      serial.close();
      log?.end();
      const settle = (): void => (error ? reject(error) : resolve({ console: text, seconds: (Date.now() - started) / 1000 }));
      // Resolve only once qemu is gone: it holds the image and the UEFI variables file open.
      if (child.exitCode === null && child.signalCode === null) {
        child.once('exit', settle);
        child.kill('SIGKILL');
      } else {
        settle();
      }
    };
    const onAbort = (): void => finish(request.signal!.reason as Error);
    const timer = setTimeout(() => finish(bootFailed(`no "${request.marker.source}" on the console after ${request.timeoutMs / 1000} s`, text)), request.timeoutMs);
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const onData = (chunk: Buffer): void => {
      // qemu keeps printing until it is gone; the console log is closed once the boot settled.
      if (settled) return;
      text += chunk.toString();
      log?.write(chunk);
      serial.feed(chunk.toString());
      if (request.failure?.test(text)) finish(bootFailed(`the console shows a failure (${request.failure.source})`, text));
      else if (!request.waitForExit && request.marker.test(text)) reached();
    };
    let running = false;
    const reached = (): void => {
      if (!request.whileRunning) return finish();
      if (running) return;
      running = true;
      request.whileRunning(serial).then(() => finish(), (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => finish(new KilnError(`could not start qemu: ${error.message}`, { exitCode: 2, hint: 'apt-get install qemu-system-x86' })));
    child.on('exit', () => {
      if (request.waitForExit && request.marker.test(text)) finish();
      else finish(bootFailed(`qemu exited before "${request.marker.source}" appeared`, text));
    });
  });
}

function bootFailed(what: string, consoleText: string): KilnError {
  return consoleError(`boot test failed: ${what}`, consoleText);
}
