// The build VM's QEMU command line, the KVM probe's boot sector and command, and the scratch
// disk size: pure.
import { describe, expect, it } from 'vitest';
import { escapeOption, probeBootSector, probeCommand } from '../../../lib/vm/accel.js';
import { AGENT_PORT, kernelCommandLine, machineCommand, type MachineSpec } from '../../../lib/vm/machine.js';
import { workDiskBytes } from '../../../lib/vm/work-disk.js';
import type { BuildRequest } from '../../../lib/config/build-request.js';

const spec: MachineSpec = {
  accel: 'tcg', memoryMiB: 2048, cpus: 2, kernel: '/c/vm/builder-1/disk.vmlinuz', initrd: '/c/vm/builder-1/disk.initrd',
  systemDisk: '/t/kiln-vm.1.abcdef/system.qcow2', workDisk: '/t/kiln-vm.1.abcdef/work.qcow2', transportDisk: '/t/kiln-vm.1.abcdef/transport.raw',
  shares: [{ tag: 'k0', hostPath: '/src/flavours', readOnly: true }, { tag: 'k1', hostPath: '/t/a,b/out', readOnly: false }],
  agentSocket: 'agent.sock', rootLabel: 'kiln-builder',
};

/** The value that follows `flag` in argv, for each occurrence. */
function values(argv: string[], flag: string): string[] {
  return argv.flatMap((arg, i) => (arg === flag ? [argv[i + 1]!] : []));
}

describe('the build VM command line', () => {
  it('boots the builder kernel into kiln-guest-init with the overlay, the scratch disk and the transport disk on virtio', () => {
    const argv = machineCommand(spec);
    expect(argv[0]).toBe('qemu-system-x86_64');
    expect(values(argv, '-accel')).toEqual(['tcg']);
    expect(values(argv, '-cpu')).toEqual(['max']);
    expect(values(argv, '-m')).toEqual(['2048']);
    expect(values(argv, '-smp')).toEqual(['2']);
    expect(values(argv, '-kernel')).toEqual([spec.kernel]);
    expect(values(argv, '-append')[0]).toContain('root=LABEL=kiln-builder rw init=/usr/local/sbin/kiln-guest-init');
    expect(values(argv, '-append')[0]).toMatch(/\bkiln\.builder-vm\b/);
    expect(values(argv, '-drive')).toEqual([
      'file=/t/kiln-vm.1.abcdef/system.qcow2,format=qcow2,if=virtio,cache=unsafe,discard=unmap',
      'file=/t/kiln-vm.1.abcdef/work.qcow2,format=qcow2,if=virtio,cache=unsafe,discard=unmap',
      'file=/t/kiln-vm.1.abcdef/transport.raw,format=raw,if=virtio,cache=unsafe',
    ]);
    expect(argv).toContain('-no-reboot');
    expect(values(argv, '-serial')).toEqual(['stdio']);
    expect(values(argv, '-device')).toContain(`virtserialport,chardev=agent,name=${AGENT_PORT}`);
    expect(values(argv, '-chardev')).toEqual(['socket,id=agent,path=agent.sock,server=on,wait=off']);
  });

  it('shares folders with 9p for an unprivileged user, read-only where asked, commas escaped', () => {
    expect(values(machineCommand(spec), '-virtfs')).toEqual([
      'local,path=/src/flavours,mount_tag=k0,security_model=none,readonly=on',
      'local,path=/t/a,,b/out,mount_tag=k1,security_model=none',
    ]);
    expect(escapeOption('a,b,,c')).toBe('a,,b,,,,c');
  });

  it('uses the host CPU under KVM', () => {
    const argv = machineCommand({ ...spec, accel: 'kvm' });
    expect(values(argv, '-accel')).toEqual(['kvm']);
    expect(values(argv, '-cpu')).toEqual(['host']);
  });

  it('keeps the kernel quiet and turns a guest crash into QEMU exiting', () => {
    expect(kernelCommandLine('x')).toMatch(/\bquiet\b/);
    expect(kernelCommandLine('x')).toContain('panic=-1');
    expect(kernelCommandLine('x')).toContain('console=ttyS0,115200');
  });
});

describe('the KVM probe', () => {
  it('is a boot sector that writes 1 to port 0xf4 and halts', () => {
    const sector = probeBootSector();
    expect(sector.length).toBe(512);
    expect([...sector.subarray(0, 4)]).toEqual([0xb0, 0x01, 0xe6, 0xf4]);
    expect([sector[510], sector[511]]).toEqual([0x55, 0xaa]);
  });

  it('runs it with the isa-debug-exit device on the chosen accelerator', () => {
    const argv = probeCommand('kvm', '/t/probe.img');
    expect(values(argv, '-accel')).toEqual(['kvm']);
    expect(values(argv, '-device')).toEqual(['isa-debug-exit,iobase=0xf4,iosize=0x04']);
    expect(values(argv, '-drive')).toEqual(['file=/t/probe.img,format=raw,if=ide']);
  });
});

describe('the scratch disk', () => {
  const request = (imageSizeBytes?: number): BuildRequest => ({ imageSizeBytes } as BuildRequest);
  it('is at least 64 GiB (sparse), and three times a large image plus room', () => {
    expect(workDiskBytes(request())).toBe(64 * 1024 ** 3);
    expect(workDiskBytes(request(40 * 1024 ** 3))).toBe(136 * 1024 ** 3);
    expect(workDiskBytes(request(), 41 * 1024 ** 3)).toBe(139 * 1024 ** 3);
  });
});
