// The build VM as a QEMU command line (pure): the builder image's kernel booted directly into
// kiln-guest-init, a throwaway qcow2 overlay of the builder image as /dev/vda, a scratch disk
// for the build's work folder as /dev/vdb, the outputs' transport disk (a sparse raw file the host
// reads) as /dev/vdc, virtio everywhere, host folders shared with
// virtio-9p (security_model=none: works for an unprivileged user, and files the guest writes
// belong to whoever runs kiln), QEMU's user-mode network for the mirror, the serial console on
// standard output (kiln logs it) and the guest agent's channel on a virtio-serial port backed
// by a unix socket.
import { BUILDER_VM_MARK } from '../block-device/kernel-support.js';
import { escapeOption } from './accel.js';

/** A host folder shared with the guest. */
export interface Share {
  /** 9p mount tag (k0, k1, ...). */
  tag: string;
  /** Host folder. */
  hostPath: string;
  readOnly: boolean;
}

/** Everything the command line is made of. */
export interface MachineSpec {
  accel: 'kvm' | 'tcg';
  memoryMiB: number;
  cpus: number;
  kernel: string;
  initrd: string;
  /** The overlay of the builder image (booted). */
  systemDisk: string;
  /** The scratch disk for the work folder. */
  workDisk: string;
  /** The raw file the outputs leave by (output-transport.ts). */
  transportDisk: string;
  shares: Share[];
  /** Unix socket of the agent channel, relative to QEMU's working folder (kept short). */
  agentSocket: string;
  /** Root filesystem label of the builder image. */
  rootLabel: string;
}

/** Name of the virtio-serial port the guest agent opens. */
export const AGENT_PORT = 'org.kiln.agent';

/** The kernel command line of the build VM. */
export function kernelCommandLine(rootLabel: string): string {
  // quiet: under emulation every console character costs; panic=-1 with -no-reboot turns a
  // guest crash into QEMU exiting instead of a hang; mitigations=off: the throwaway VM runs only
  // the build, and page-table isolation makes every system call dearer under emulation.
  return `root=LABEL=${rootLabel} rw init=/usr/local/sbin/kiln-guest-init console=ttyS0,115200 panic=-1 quiet loglevel=4 no_timer_check mitigations=off ${BUILDER_VM_MARK}`;
}

/** The qemu-system-x86_64 argv (pure). */
export function machineCommand(spec: MachineSpec): string[] {
  const argv = [
    'qemu-system-x86_64', '-name', 'kiln-builder', '-machine', 'q35', '-accel', spec.accel, '-cpu', spec.accel === 'kvm' ? 'host' : 'max',
    '-m', String(spec.memoryMiB), '-smp', String(spec.cpus), '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', escapeOption(spec.kernel), '-initrd', escapeOption(spec.initrd), '-append', kernelCommandLine(spec.rootLabel),
    '-serial', 'stdio',
    // The overlay and the scratch disk are thrown away after the build: no need to flush them.
    '-drive', `file=${escapeOption(spec.systemDisk)},format=qcow2,if=virtio,cache=unsafe,discard=unmap`,
    '-drive', `file=${escapeOption(spec.workDisk)},format=qcow2,if=virtio,cache=unsafe,discard=unmap`,
    // The host reads it once the guest says it is done: every write QEMU completed is in the file.
    '-drive', `file=${escapeOption(spec.transportDisk)},format=raw,if=virtio,cache=unsafe`,
    '-netdev', 'user,id=net0', '-device', 'virtio-net-pci,netdev=net0',
    '-device', 'virtio-rng-pci',
    '-device', 'virtio-serial-pci',
    '-chardev', `socket,id=agent,path=${escapeOption(spec.agentSocket)},server=on,wait=off`,
    '-device', `virtserialport,chardev=agent,name=${AGENT_PORT}`,
  ];
  for (const share of spec.shares) {
    argv.push('-virtfs', `local,path=${escapeOption(share.hostPath)},mount_tag=${share.tag},security_model=none${share.readOnly ? ',readonly=on' : ''}`);
  }
  return argv;
}
