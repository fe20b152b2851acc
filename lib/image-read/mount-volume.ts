// Mounting one volume of a raw image read-only, without partition devices: a read-only loop
// device over exactly the partition's bytes (losetup --offset --sizelimit), then a read-only
// mount that replays no journal (the image must not change, and a read-only device could not
// take the writes anyway). Everything is registered on the caller's stack.
import { KilnError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from '../resources/disposable-stack.js';
import { detachLoop, loopDevicesOf } from '../resources/loop-device.js';
import { mount } from '../resources/mount.js';
import { makeTempDir } from '../resources/temp-dir.js';
import type { FilesystemType } from './detect.js';
import type { Volume } from './open-image.js';

/**
 * Mount options that keep a filesystem exactly as it is (no journal or log replay) and make its
 * content inert on the host: images come from users, and a setuid binary or a device node in
 * one must never work outside it (pure).
 */
export function readOnlyMountOptions(fstype: FilesystemType): string[] {
  const inert = ['nosuid', 'nodev', 'noexec'];
  switch (fstype) {
    case 'ext4':
      return ['ro', ...inert, 'noload'];
    case 'xfs':
      return ['ro', ...inert, 'norecovery'];
    case 'btrfs':
      return ['ro', ...inert, 'rescue=nologreplay'];
  }
}

/** The losetup argv for a read-only device over `size` bytes at `offset` of `file` (pure). */
export function losetupArgv(file: string, offset: number, size: number): string[] {
  return ['losetup', '--find', '--show', '--read-only', '--offset', String(offset), '--sizelimit', String(size), file];
}

/** Attaches a read-only loop device over part of `file`; its detach is registered first. */
async function attachReadOnly(stack: ResourceStack, file: string, offset: number, size: number, log: LogSink, signal?: AbortSignal): Promise<string> {
  // Devices someone else attached to the same file are not ours to detach.
  const before = new Set(loopDevicesOf(file));
  stack.defer(`detach the loop device over ${file} at ${offset}`, async () => {
    for (const device of loopDevicesOf(file)) if (!before.has(device)) await detachLoop(device, file, log);
  });
  const result = await run(losetupArgv(file, offset, size), { privileged: true, log, signal, what: `attaching ${file} read-only` });
  const device = result.stdout.trim();
  if (!/^\/dev\/loop\d+$/.test(device)) throw new KilnError(`losetup attached ${file} but did not name the loop device`, { hint: 'check `losetup -a`' });
  return device;
}

/** Mounts `volume` of the raw image `file` read-only; returns the mount point. */
export async function mountVolume(stack: ResourceStack, file: string, volume: Volume, log: LogSink, signal?: AbortSignal): Promise<string> {
  const device = await attachReadOnly(stack, file, volume.offset, volume.size, log, signal);
  const dir = await makeTempDir(stack, 'image-mount', undefined, log);
  await mount(stack, { source: device, target: dir, fstype: volume.fstype, options: readOnlyMountOptions(volume.fstype), log });
  return dir;
}
