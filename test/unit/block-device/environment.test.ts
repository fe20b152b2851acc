// The variables finalise.d hooks get about the disk.
import { describe, expect, it } from 'vitest';
import { parseBlockDeviceConfig } from '../../../lib/block-device/config.js';
import { blockDeviceEnvironment } from '../../../lib/block-device/environment.js';
import { planDiskLayout } from '../../../lib/block-device/layout.js';
import { seededRandom } from '../../../lib/block-device/random.js';
import { fixture } from './helpers.js';

describe('blockDeviceEnvironment', () => {
  it('describes the disk with DIB\'s variables and kiln\'s extras', () => {
    const layout = planDiskLayout(parseBlockDeviceConfig(fixture('gpt_efi'), 'g', { label: 'root' }), 2 ** 30, seededRandom(3));
    const env = blockDeviceEnvironment({
      layout, loopDevice: '/dev/loop7',
      partitionDevices: { ESP: '/dev/loop7p1', BSP: '/dev/loop7p2', 'Root Part': '/dev/loop7p3' },
      filesystemDevices: { mkfs_ESP: '/dev/loop7p1', 'mkfs_Root Part': '/dev/loop7p3' },
    });
    expect(env).toEqual({
      IMAGE_BLOCK_DEVICE: '/dev/loop7',
      IMAGE_BLOCK_DEVICE_WITHOUT_PART: '/dev/loop7',
      // A name with a space is quoted, so `eval declare -A d=( $IMAGE_BLOCK_DEVICES )` reads it back.
      IMAGE_BLOCK_DEVICES: "[image0]=/dev/loop7 [ESP]=/dev/loop7p1 [BSP]=/dev/loop7p2 ['Root Part']=/dev/loop7p3",
      DIB_ROOT_LABEL: 'mkfs_Root Part',
      DIB_ROOT_FSTYPE: 'ext4',
      DIB_ROOT_UUID: layout.root.uuid,
      DIB_BOOT_LABEL: '',
      DIB_IMAGE_SIZE: String(2 ** 20),
      KILN_MOUNT_POINTS: '/|/boot/efi',
      DIB_MOUNTPOINTS: '/|/boot/efi',
      KILN_ESP_DEVICE: '/dev/loop7p1',
    });
  });
});
