// Kernel choice in /boot: diskimage-builder's rules with version order.
import { describe, expect, it } from 'vitest';
import { compareVersions, selectKernel } from '../../../lib/ramdisk/kernel-select.js';

describe('compareVersions', () => {
  it('orders like sort -V', () => {
    const versions = ['6.1.0-9-amd64', '6.1.0-10-amd64', '5.10.0-28-amd64', '6.1.0-10-amd64~rc1', '6.10.0-1-amd64'];
    expect([...versions].sort(compareVersions)).toEqual(['5.10.0-28-amd64', '6.1.0-9-amd64', '6.1.0-10-amd64~rc1', '6.1.0-10-amd64', '6.10.0-1-amd64']);
    expect(compareVersions('1.0', '1.0')).toBe(0);
  });
});

describe('selectKernel', () => {
  const debian = ['config-6.1.0-9-amd64', 'vmlinuz-6.1.0-9-amd64', 'initrd.img-6.1.0-9-amd64', 'vmlinuz-6.1.0-10-amd64', 'initrd.img-6.1.0-10-amd64', 'System.map-6.1.0-10-amd64', 'grub'];

  it('takes the newest kernel and the initrd of the same version', () => {
    expect(selectKernel(debian)).toEqual({ version: '6.1.0-10-amd64', kernel: 'vmlinuz-6.1.0-10-amd64', initrd: 'initrd.img-6.1.0-10-amd64' });
  });

  it('takes the asked version (DIB_KERNEL_VERSION), or nothing', () => {
    expect(selectKernel(debian, '6.1.0-9-amd64')?.kernel).toBe('vmlinuz-6.1.0-9-amd64');
    expect(selectKernel(debian, '9.9')).toBeUndefined();
  });

  it('prefers generic kernels and avoids debug and rescue ones', () => {
    expect(selectKernel(['vmlinuz-5.15.0-91-generic', 'vmlinuz-5.15.0-92-lowlatency'])?.version).toBe('5.15.0-91-generic');
    const fedora = ['vmlinuz-6.5.6-300.fc39.x86_64', 'vmlinuz-6.5.6-300.fc39.x86_64+debug', 'vmlinuz-0-rescue-abc', 'initramfs-6.5.6-300.fc39.x86_64.img'];
    expect(selectKernel(fedora)).toEqual({ version: '6.5.6-300.fc39.x86_64', kernel: 'vmlinuz-6.5.6-300.fc39.x86_64', initrd: 'initramfs-6.5.6-300.fc39.x86_64.img' });
  });

  it('accepts vmlinux, a missing initrd, and no kernel at all', () => {
    expect(selectKernel(['vmlinux-6.1.0-1-arm64'])).toEqual({ version: '6.1.0-1-arm64', kernel: 'vmlinux-6.1.0-1-arm64', initrd: undefined });
    expect(selectKernel(['vmlinuz', 'vmlinuz.old', 'grub'])).toBeUndefined();
    expect(selectKernel([])).toBeUndefined();
  });
});
