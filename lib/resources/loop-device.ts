// Loop devices as resources. The release is registered BEFORE `losetup` runs and detaches every
// loop device backed by the image file, so even an attach whose output was lost (Ctrl-C at the
// wrong moment) is undone. Detaching retries (udev or a closing partition can hold the device
// for a moment; DIB retries `losetup -d` 9 times, debos 60) and then checks in sysfs that the
// device is really free: `losetup -d` on a busy device only schedules the detach (autoclear).
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { KilnError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from './disposable-stack.js';

/** Options for attaching. */
export interface LoopAttachOptions {
  /** Logical sector size (DIB block_size); default 512. */
  sectorSize?: number;
  log?: LogSink | undefined;
  signal?: AbortSignal | undefined;
}

/** The file a loop device is attached to, from sysfs; undefined if it is free. */
export function loopBackingFile(device: string): string | undefined {
  const name = device.replace(/^\/dev\//, '');
  try {
    return readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Attached loop devices whose backing file (as sysfs names it, " (deleted)" removed) `matches`. */
export function loopDevicesWhere(matches: (backingFile: string) => boolean): string[] {
  return readdirSync('/sys/block')
    .filter((name) => /^loop\d+$/.test(name))
    .filter((name) => {
      const backing = loopBackingFile(name);
      return backing !== undefined && matches(backing.replace(/ \(deleted\)$/, ''));
    })
    .map((name) => `/dev/${name}`);
}

/** Loop devices currently backed by `file`. */
export function loopDevicesOf(file: string): string[] {
  let path = file;
  try {
    path = realpathSync(file);
  } catch {
    // The file is gone; sysfs still names it.
  }
  return loopDevicesWhere((backing) => backing === path || backing === file);
}

/** Attaches `file` to a free loop device and registers its detach on `stack`; returns /dev/loopN. */
export async function attachLoop(stack: ResourceStack, file: string, options: LoopAttachOptions = {}): Promise<string> {
  const { log } = options;
  stack.defer(`detach the loop device of ${file}`, () => detachLoopsOf(file, log));
  const argv = ['losetup', '--show', '--find', '--sector-size', String(options.sectorSize ?? 512), file];
  for (let attempt = 1; attempt <= 3; attempt++) {
    // Another process may take the device `--find` chose between its lookup and its attach.
    const result = await run(argv, { privileged: true, log, signal: options.signal, allowFailure: attempt < 3, what: `attaching ${file} to a loop device` });
    const device = result.stdout.trim();
    if (result.exitCode === 0 && /^\/dev\/loop\d+$/.test(device)) return device;
    await sleep(200 * attempt);
  }
  throw new KilnError(`losetup attached ${file} but did not name the loop device`, { hint: 'check `losetup -a`' });
}

/** Detaches every loop device backed by `file`. */
async function detachLoopsOf(file: string, log?: LogSink): Promise<void> {
  for (const device of loopDevicesOf(file)) await detachLoop(device, file, log);
}

/** Detaches `device` (attached to `file`), retrying, and verifies it is free afterwards. */
export async function detachLoop(device: string, file: string, log?: LogSink): Promise<void> {
  const attached = (): boolean => {
    const backing = loopBackingFile(device);
    return backing !== undefined && loopDevicesOf(file).includes(device);
  };
  for (let attempt = 1; attempt <= 10 && attached(); attempt++) {
    await run(['losetup', '--detach', device], { privileged: true, log, allowFailure: true });
    for (let wait = 0; wait < 5 && attached(); wait++) await sleep(100 * attempt);
  }
  if (attached()) {
    throw new KilnError(`loop device ${device} is still attached to ${file} after 10 attempts to detach it`, {
      hint: `something still holds it open (see \`losetup -a\`, \`findmnt\`); free it with: losetup -d ${device}`,
    });
  }
}
