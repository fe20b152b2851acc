// Which kernel modules go into every ramdisk: what it takes to find disks and networks under the
// common hypervisors and on common server hardware, plus the filesystems a maintenance ramdisk
// reads. Modules a kernel lacks are skipped silently (kernels differ); flavours add their own in a
// `ramdisk-modules` file or `ramdisk-modules.d/*` files (names separated by spaces or newlines,
// `#` comments), and those are reported when the kernel does not have them.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compareHookNames } from '../flavours/hooks.js';
import { parseBinaryDeps } from './binary-deps.js';
import type { ModuleRequest } from './modules.js';

/** Modules of every kiln ramdisk, grouped by purpose (names as modprobe takes them). */
export const DEFAULT_MODULES: Readonly<Record<string, readonly string[]>> = {
  virtio: ['virtio_pci', 'virtio_mmio', 'virtio_blk', 'virtio_scsi', 'virtio_net', 'virtio_console', 'virtio_rng'],
  'other hypervisors': ['xen_blkfront', 'xen_netfront', 'hv_vmbus', 'hv_storvsc', 'hv_netvsc', 'vmw_pvscsi', 'vmxnet3', 'ena', 'gve'],
  'disk controllers': [
    'ahci', 'ata_piix', 'ata_generic', 'nvme', 'sd_mod', 'sr_mod', 'megaraid_sas', 'mpt3sas', 'hpsa', 'smartpqi', 'aacraid',
    'mmc_block', 'sdhci_pci',
  ],
  usb: ['xhci_pci', 'ehci_pci', 'ohci_pci', 'uhci_hcd', 'usb_storage', 'uas', 'usbhid', 'hid_generic'],
  'network cards': [
    'e1000', 'e1000e', 'igb', 'igc', 'ixgbe', 'ixgbevf', 'i40e', 'iavf', 'ice', 'bnxt_en', 'bnx2', 'bnx2x', 'tg3', 'r8169', 'qede', 'sfc',
    'af_packet',
  ],
  filesystems: ['ext4', 'xfs', 'btrfs', 'vfat', 'nls_cp437', 'nls_iso8859_1', 'nls_utf8', 'isofs', 'squashfs', 'overlay', 'loop'],
};

/** The built-in list as optional requests (pure). */
export function defaultModuleRequests(): ModuleRequest[] {
  return Object.values(DEFAULT_MODULES).flatMap((names) => names.map((name) => ({ name, by: 'kiln' })));
}

/** The `ramdisk-modules` file and `ramdisk-modules.d/*` files of a flavour, in hook order. */
function moduleListFiles(flavourPath: string): string[] {
  const files: string[] = [];
  const single = join(flavourPath, 'ramdisk-modules');
  if (existsSync(single) && statSync(single).isFile()) files.push(single);
  const dir = join(flavourPath, 'ramdisk-modules.d');
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    const names = readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile()).sort(compareHookNames);
    files.push(...names.map((n) => join(dir, n)));
  }
  return files;
}

/** The modules the flavours ask for, each marked with its flavour. */
export function flavourModuleRequests(flavours: readonly { name: string; path: string }[]): ModuleRequest[] {
  return flavours.flatMap((f) =>
    moduleListFiles(f.path).flatMap((file) => parseBinaryDeps(readFileSync(file, 'utf8')).map((name) => ({ name, by: `${f.name} (${file})` }))),
  );
}
