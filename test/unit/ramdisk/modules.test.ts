// Module selection from a kernel's index files.
import { describe, expect, it } from 'vitest';
import { defaultModuleRequests, DEFAULT_MODULES } from '../../../lib/ramdisk/module-list.js';
import { moduleName, parseModuleIndex, selectModules } from '../../../lib/ramdisk/modules.js';

const index = parseModuleIndex({
  dep: [
    'kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko',
    'kernel/drivers/virtio/virtio_ring.ko: kernel/drivers/virtio/virtio.ko',
    'kernel/drivers/virtio/virtio.ko:',
    'kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz kernel/fs/mbcache.ko.xz kernel/fs/jbd2/jbd2.ko.xz',
    'kernel/lib/crc16.ko.xz:', 'kernel/fs/mbcache.ko.xz:', 'kernel/fs/jbd2/jbd2.ko.xz:',
    'kernel/crypto/crc32c_generic.ko.xz:', 'kernel/arch/x86/crypto/crc32c-intel.ko.xz:',
    'kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko: kernel/drivers/ptp/ptp.ko',
    'kernel/drivers/ptp/ptp.ko:',
  ].join('\n'),
  builtin: 'kernel/drivers/ata/ahci.ko\nkernel/net/packet/af_packet.ko\n',
  softdep: '# Soft dependencies extracted from modules themselves.\nsoftdep ext4 pre: crypto-crc32c\nsoftdep jbd2 pre: crypto-crc32c\n',
  alias: 'alias crypto-crc32c crc32c_generic\nalias crypto-crc32c crc32c_intel\nalias pci:v00008086d*sv*sd*bc*sc*i* e1000e\n',
});

describe('moduleName', () => {
  it('normalises paths and dashes as kmod does', () => {
    expect(moduleName('kernel/arch/x86/crypto/crc32c-intel.ko.xz')).toBe('crc32c_intel');
    expect(moduleName('usb-storage')).toBe('usb_storage');
  });
});

describe('selectModules', () => {
  it('adds dependencies and soft dependencies (through exact aliases)', () => {
    const selection = selectModules(index, [{ name: 'virtio_blk', by: 'kiln' }, { name: 'ext4', by: 'kiln' }]);
    expect(selection.paths).toEqual([
      'kernel/arch/x86/crypto/crc32c-intel.ko.xz', 'kernel/crypto/crc32c_generic.ko.xz',
      'kernel/drivers/block/virtio_blk.ko', 'kernel/drivers/virtio/virtio.ko', 'kernel/drivers/virtio/virtio_ring.ko',
      'kernel/fs/ext4/ext4.ko.xz', 'kernel/fs/jbd2/jbd2.ko.xz', 'kernel/fs/mbcache.ko.xz', 'kernel/lib/crc16.ko.xz',
    ]);
    expect(selection.missing).toEqual([]);
  });

  it('records built-in modules and returns unknown names with who asked', () => {
    const selection = selectModules(index, [
      { name: 'ahci', by: 'kiln' }, { name: 'af-packet', by: 'kiln' }, { name: 'e1000e', by: 'kiln' },
      { name: 'mlx5_core', by: 'mellanox' }, { name: 'nvme', by: 'kiln' },
    ]);
    expect(selection.builtin).toEqual(['af_packet', 'ahci']);
    expect(selection.paths).toEqual(['kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko', 'kernel/drivers/ptp/ptp.ko']);
    expect(selection.missing).toEqual([{ name: 'mlx5_core', by: 'mellanox' }, { name: 'nvme', by: 'kiln' }]);
  });

  it('takes a module asked for twice once', () => {
    expect(selectModules(index, [{ name: 'virtio', by: 'a' }, { name: 'virtio', by: 'b' }]).paths).toEqual(['kernel/drivers/virtio/virtio.ko']);
  });
});

describe('the built-in list', () => {
  it('covers virtio, the common disk controllers and network cards, and ext4', () => {
    const names = defaultModuleRequests().map((r) => r.name);
    for (const name of ['virtio_blk', 'virtio_scsi', 'virtio_net', 'virtio_pci', 'ahci', 'nvme', 'sd_mod', 'e1000', 'e1000e', 'ext4', 'vfat']) {
      expect(names).toContain(name);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(DEFAULT_MODULES).length).toBeGreaterThan(3);
  });
});
