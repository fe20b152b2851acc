// --vm, --vm-memory, --vm-cpus and KILN_VM_ACCEL as the option table parses them.
import { describe, expect, it } from 'vitest';
import { buildRequest, type CliValues } from '../../../lib/config/parse-options.js';

const request = (cli: CliValues, env: Record<string, string> = {}) => buildRequest('disk', ['debian'], cli, env, '/tmp');

describe('--vm options', () => {
  it('are off by default; the VM gets 2 GiB and this machine\'s CPUs (at most 8)', () => {
    const plain = request({});
    expect(plain.vm).toBe(false);
    expect(plain.vmMemoryMiB).toBe(2048);
    expect(plain.vmCpus).toBeGreaterThanOrEqual(1);
    expect(plain.vmCpus).toBeLessThanOrEqual(8);
    expect(plain.vmAccel).toBe('auto');
  });

  it('take sizes with units (a bare number is GiB) and whole CPU counts, from flags or KILN_VM_*', () => {
    expect(request({ vm: true, vmMemoryMiB: '3', vmCpus: '4' })).toMatchObject({ vm: true, vmMemoryMiB: 3072, vmCpus: 4 });
    expect(request({ vm: true, vmMemoryMiB: '1536M' }).vmMemoryMiB).toBe(1536);
    expect(request({}, { KILN_VM: '1', KILN_VM_MEMORY: '4G', KILN_VM_ACCEL: 'tcg' })).toMatchObject({ vm: true, vmMemoryMiB: 4096, vmAccel: 'tcg' });
    expect(() => request({ vm: true, vmMemoryMiB: '100M' })).toThrow(/--vm-memory "100M" is too small/);
    expect(() => request({ vm: true, vmMemoryMiB: 'lots' })).toThrow(/--vm-memory "lots" is not a size/);
    expect(() => request({ vm: true, vmCpus: '1.5' })).toThrow(/--vm-cpus/);
    expect(() => request({}, { KILN_VM_ACCEL: 'hvf' })).toThrow(/KILN_VM_ACCEL "hvf" is not an accelerator/);
  });

  it('refuse VM sizes given as flags without --vm, but not a standing KILN_VM_MEMORY or spec default', () => {
    expect(() => request({ vmMemoryMiB: '4G' })).toThrow(/--vm-memory needs --vm/);
    expect(() => request({ vmCpus: '2' })).toThrow(/--vm-cpus needs --vm/);
    expect(request({}, { KILN_VM_MEMORY: '4G' }).vm).toBe(false);
    expect(buildRequest('disk', ['debian'], {}, {}, '/tmp', { values: { vmMemory: '4G' }, label: 'spec' }).vm).toBe(false);
  });
});
