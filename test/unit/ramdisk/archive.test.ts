// The exact argv of the archive and compression tools.
import { describe, expect, it } from 'vitest';
import { compressArgv, cpioArgv } from '../../../lib/ramdisk/archive.js';

describe('archive commands', () => {
  it('makes a newc archive with root owners and reproducible inode numbers from NUL-separated names', () => {
    expect(cpioArgv()).toEqual(['cpio', '--quiet', '--create', '--format=newc', '--null', '--owner=0:0', '--reproducible']);
  });

  it('compresses with multithreaded zstd at a level the kernel reads, or gzip without a time stamp', () => {
    expect(compressArgv('zstd', '/w/a.cpio', '/o/x')).toEqual({ argv: ['zstd', '--quiet', '--force', '-T0', '-9', '--check', '/w/a.cpio', '-o', '/o/x'] });
    expect(compressArgv('gzip', '/w/a.cpio', '/o/x', true)).toEqual({ argv: ['pigz', '-6', '-n', '-c', '/w/a.cpio'], stdoutFile: '/o/x' });
    expect(compressArgv('gzip', '/w/a.cpio', '/o/x', false).argv[0]).toBe('gzip');
  });
});

describe('ramdiskTools', () => {
  it('names what the build runs, with the chosen compressor', async () => {
    const { ramdiskTools } = await import('../../../lib/ramdisk/ramdisk-tools.js');
    expect([...ramdiskTools('zstd').keys()]).toEqual(['cpio', 'depmod', 'zstd']);
    expect([...ramdiskTools('gzip').keys()]).toEqual(['cpio', 'depmod', 'gzip']);
  });
});
