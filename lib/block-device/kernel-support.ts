// Where a layout can be built. LVM volumes are device-mapper devices: kiln builds LVM layouts
// only inside its build VM (--vm), whose kernel has device-mapper and which nothing else uses.
// On the build host they are refused before anything is created, even where the host has
// device-mapper: the image's volume groups would show up in the host's LVM (with names such as
// "vg" that may clash with the host's own), and containers and CI runners have no device-mapper.
// In the VM, FAT filesystems are mounted normally instead of being staged as folders.
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { BlockDeviceConfig } from './types.js';
import { where } from './yaml-tree.js';

/** What the executor found out about the machine it runs on. */
export interface KernelFeatures {
  /** /dev/mapper/control exists. */
  deviceMapper: boolean;
  /** This is kiln's build VM (its kernel command line carries kiln.builder-vm). */
  builderVm: boolean;
}

/** The kernel command line token that marks kiln's build VM. */
export const BUILDER_VM_MARK = 'kiln.builder-vm';

/** Probes the kernel (reads /dev and /proc only). */
export function probeKernelFeatures(): KernelFeatures {
  let cmdline = '';
  try {
    cmdline = readFileSync('/proc/cmdline', 'utf8');
  } catch {
    cmdline = '';
  }
  return { deviceMapper: existsSync('/dev/mapper/control'), builderVm: cmdline.split(/\s+/).includes(BUILDER_VM_MARK) };
}

/** Where a build's disk is made: on this host, or in kiln's build VM. */
export type BuildPlace = 'host' | 'vm';

/** Throws a ConfigError if `config` cannot be built at `place` (`features`: the machine that builds now). */
export function checkKernelSupport(config: BlockDeviceConfig, place: BuildPlace, features?: KernelFeatures): void {
  const lvm = config.lvm[0];
  if (!lvm) return;
  const at = where(lvm.origin.source, lvm.origin.line);
  if (place === 'host') {
    throw new ConfigError(`lvm "${lvm.name}": kiln builds LVM layouts only in its build VM, not on the build host`, at,
      'add --vm: the build then runs in a throwaway VM with its own kernel and device-mapper (and needs no root here)');
  }
  if (features && !features.deviceMapper) {
    throw new ConfigError(`lvm "${lvm.name}": LVM needs device-mapper, which this kernel lacks (no /dev/mapper/control)`, at,
      'the builder image\'s kernel loads dm_mod at boot; rebuild the builder image (remove vm/builder-* from the cache)');
  }
}
