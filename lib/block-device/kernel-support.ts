// What the build host's kernel must offer for a layout. LVM volumes are device-mapper devices,
// so an LVM layout cannot be built where /dev/mapper/control is missing (containers, CI runners,
// this project's build machines); kiln refuses it before anything is created.
import { existsSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { BlockDeviceConfig } from './types.js';
import { where } from './yaml-tree.js';

/** What the executor found out about the host. */
export interface KernelFeatures {
  /** /dev/mapper/control exists. */
  deviceMapper: boolean;
}

/** Probes the host kernel (reads /dev only). */
export function probeKernelFeatures(): KernelFeatures {
  return { deviceMapper: existsSync('/dev/mapper/control') };
}

/** Throws a ConfigError if `config` needs something kiln or the kernel cannot do. */
export function checkKernelSupport(config: BlockDeviceConfig, features: KernelFeatures | undefined): void {
  const lvm = config.lvm[0];
  if (!lvm) return;
  const at = where(lvm.origin.source, lvm.origin.line);
  if (features && !features.deviceMapper) {
    throw new ConfigError(`lvm "${lvm.name}": LVM needs device-mapper, which this kernel lacks (no /dev/mapper/control)`, at,
      'use a layout without lvm (block-device-mbr, block-device-gpt, block-device-efi), or build on a host with device-mapper');
  }
  throw new ConfigError(`lvm "${lvm.name}": LVM layouts are not supported by kiln yet`, at,
    'use a layout without lvm (block-device-mbr, block-device-gpt, block-device-efi)');
}
