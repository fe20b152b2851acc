// Variables the disk phases (pre-finalise.d, finalise.d) get about the disk, named as in DIB
// (disk-image-create exports them from `dib-block-device getval`). Pure.
import type { DiskLayout } from './layout-types.js';

/** What the environment is computed from (an AttachedDisk has all of it). */
export interface DiskFacts {
  layout: DiskLayout;
  loopDevice: string;
  partitionDevices: Record<string, string>;
  /** Logical volumes (LVM layouts); absent means none. */
  volumeDevices?: Record<string, string>;
  filesystemDevices: Record<string, string>;
}

/**
 * DIB's IMAGE_BLOCK_DEVICE(S), IMAGE_BLOCK_DEVICE_WITHOUT_PART, DIB_ROOT_LABEL, DIB_ROOT_FSTYPE,
 * DIB_BOOT_LABEL, DIB_MOUNTPOINTS and DIB_IMAGE_SIZE (KiB),
 * plus kiln's DIB_ROOT_UUID, KILN_MOUNT_POINTS (`|`-joined) and KILN_ESP_DEVICE (the vfat
 * filesystem at /boot/efi, empty if none).
 */
export function blockDeviceEnvironment(disk: DiskFacts): Record<string, string> {
  const { layout } = disk;
  const esp = layout.mounts.find((m) => m.mountPoint === '/boot/efi' && m.type === 'vfat');
  // DIB's `getval image-block-devices` format, read with: eval DEVICES=( $IMAGE_BLOCK_DEVICES )
  const devices = [[layout.imageName, disk.loopDevice] as const, ...Object.entries(disk.partitionDevices), ...Object.entries(disk.volumeDevices ?? {})]
    .map(([name, device]) => `[${evalSafe(name)}]=${device}`)
    .join(' ');
  return {
    IMAGE_BLOCK_DEVICE: disk.loopDevice,
    // DIB: the whole disk even when IMAGE_BLOCK_DEVICE names a partition (/dev/loop3p1 → /dev/loop3).
    IMAGE_BLOCK_DEVICE_WITHOUT_PART: disk.loopDevice.replace(/^(.*loop\d+)p\d+$/, '$1'),
    IMAGE_BLOCK_DEVICES: devices,
    DIB_ROOT_LABEL: layout.root.label,
    DIB_ROOT_FSTYPE: layout.root.type,
    DIB_ROOT_UUID: layout.root.uuid,
    DIB_BOOT_LABEL: layout.bootLabel ?? '',
    DIB_IMAGE_SIZE: String(Math.floor(layout.sizeBytes / 1024)),
    KILN_MOUNT_POINTS: layout.mounts.map((m) => m.mountPoint).join('|'),
    DIB_MOUNTPOINTS: layout.mounts.map((m) => m.mountPoint).join('|'),
    KILN_ESP_DEVICE: esp ? (disk.filesystemDevices[esp.filesystem] ?? '') : '',
  };
}

/** A node name as eval reads it back: names with a space are single-quoted (names hold no quote; config.ts). */
function evalSafe(name: string): string {
  return /^[A-Za-z0-9_.+-]+$/.test(name) ? name : `'${name}'`;
}
