// --vm, --vm-memory and --vm-cpus as the commands parse them.
import { describe, expect, it } from 'vitest';
import { parseVmSettings } from '../../../lib/config/options.js';

describe('--vm options', () => {
  it('are off without --vm, and the sizes need --vm', () => {
    expect(parseVmSettings({})).toBeUndefined();
    expect(() => parseVmSettings({ vmMemory: '4G' })).toThrow(/--vm-memory needs --vm/);
    expect(() => parseVmSettings({ vmCpus: '2' })).toThrow(/--vm-cpus needs --vm/);
  });

  it('default to 2 GiB and this machine\'s CPUs (at most 8)', () => {
    expect(parseVmSettings({ vm: true }, 2)).toEqual({ memoryMiB: 2048, cpus: 2 });
    expect(parseVmSettings({ vm: true }, 32)).toEqual({ memoryMiB: 2048, cpus: 8 });
  });

  it('take sizes with units (a bare number is GiB) and whole CPU counts', () => {
    expect(parseVmSettings({ vm: true, vmMemory: '3', vmCpus: '4' }, 2)).toEqual({ memoryMiB: 3072, cpus: 4 });
    expect(parseVmSettings({ vm: true, vmMemory: '1536M' }, 2)?.memoryMiB).toBe(1536);
    expect(() => parseVmSettings({ vm: true, vmMemory: '100M' })).toThrow(/too small/);
    expect(() => parseVmSettings({ vm: true, vmMemory: 'lots' })).toThrow(/--vm-memory "lots" is not a size/);
    expect(() => parseVmSettings({ vm: true, vmCpus: '1.5' })).toThrow(/--vm-cpus "1.5" is not a number of CPUs/);
    expect(() => parseVmSettings({ vm: true, vmCpus: '0' })).toThrow(/not a number of CPUs/);
  });
});
