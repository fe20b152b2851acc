// Carries out an lvm node on the attached disk's partitions (in kiln's build VM only, see
// kernel-support.ts): pvcreate, vgcreate and lvcreate as DIB runs them, each volume group
// deactivated again when the disk is released, so that the partitions and the loop device can
// go. The build VM runs no udev: device-mapper makes its /dev/mapper nodes itself.
import { existsSync } from 'node:fs';
import { KilnError } from '../errors.js';
import { run } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from '../resources/disposable-stack.js';
import { lvDevice, lvmCreateCommands } from './lvm.js';
import type { LvmNode } from './types.js';

/** Environment of the LVM tools: no udev to wait for. */
const LVM_ENV = { DM_DISABLE_UDEV: '1', LVM_SUPPRESS_FD_WARNINGS: '1' };

/** Creates the volumes of `lvm` on `partitionDevices`; returns logical volume name → device. */
export async function createVolumes(stack: ResourceStack, lvm: LvmNode, partitionDevices: Record<string, string>,
  opts: { log?: LogSink | undefined; signal?: AbortSignal | undefined }): Promise<Record<string, string>> {
  const { log, signal } = opts;
  for (const argv of lvmCreateCommands(lvm, partitionDevices)) {
    // Only in the build VM, where kiln is root: the LVM tools are not in kiln's sudo rules.
    await run(argv, { env: LVM_ENV, log, signal, what: `${argv[0]} for lvm "${lvm.name}"` });
    if (argv[0] === 'vgcreate') {
      const group = argv[1]!;
      stack.defer(`deactivate volume group ${group}`, async () => {
        await run(['vgchange', '-an', group], { env: LVM_ENV, log, what: `deactivating volume group ${group}` });
      });
    }
  }
  const devices: Record<string, string> = {};
  for (const lv of lvm.lvs) {
    const device = lvDevice(lv.base, lv.name);
    if (lv.type !== 'thin-pool' && !existsSync(device)) throw new KilnError(`lvcreate made logical volume ${lv.base}/${lv.name}, but ${device} did not appear`);
    devices[lv.name] = device;
  }
  return devices;
}
