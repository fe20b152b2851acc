// The outputs' transport disk (pure): where each file goes, and what the host refuses to take
// from a guest's list (a guest runs the build's hooks as root: its list is checked, not trusted).
import { describe, expect, it } from 'vitest';
import { TRANSPORT_ALIGN, transportLayout, transportProblem, type TransportedFile } from '../../../lib/vm/output-transport.js';

const MiB = TRANSPORT_ALIGN;
const file = (name: string, offset: number, bytes: number): TransportedFile => ({ name, offset, bytes, mode: 0o644, mtimeMs: 1_700_000_000_000 });

describe('the transport disk', () => {
  it('puts each file after the last, on a MiB boundary', () => {
    const placed = transportLayout([
      { name: 'web.qcow2', bytes: 3 * MiB + 1, mode: 0o644, mtimeMs: 1 },
      { name: 'web.d/dib-manifests/dib_environment', bytes: 0, mode: 0o644, mtimeMs: 1 },
      { name: 'web.manifest.json', bytes: 10, mode: 0o600, mtimeMs: 1 },
    ]);
    expect(placed.map((f) => f.offset)).toEqual([0, 4 * MiB, 4 * MiB]);
    expect(transportProblem(placed, 5 * MiB)).toBeUndefined();
  });

  it('refuses names that leave the folder, hide, repeat, or put a file under a file', () => {
    const bad: [TransportedFile[], RegExp][] = [
      [[file('../etc/passwd', 0, 1)], /not a plain relative path/],
      [[file('/etc/passwd', 0, 1)], /not a plain relative path/],
      [[file('web.d/../../x', 0, 1)], /not a plain relative path/],
      [[file('.web.qcow2.kiln-partial', 0, 1)], /not a plain relative path/],
      [[file('a\0b', 0, 1)], /not a plain relative path/],
      [[file('a/b/c/d/e', 0, 1)], /not a plain relative path/],
      [[file('web.qcow2', 0, 1), file('web.qcow2', MiB, 1)], /named twice/],
      [[file('web.d', 0, 1), file('web.d/x/y', MiB, 1)], /below a file/],
    ];
    for (const [files, problem] of bad) expect(transportProblem(files, 10 * MiB), files[0]!.name).toMatch(problem);
  });

  it('refuses ranges that overlap, are not aligned, end past the disk, or are not whole numbers', () => {
    expect(transportProblem([file('a', 0, MiB + 1), file('b', MiB, 1)], 10 * MiB)).toMatch(/overlaps/);
    expect(transportProblem([file('a', 512, 1)], 10 * MiB)).toMatch(/not aligned/);
    expect(transportProblem([file('a', 9 * MiB, 2 * MiB)], 10 * MiB)).toMatch(/ends past the transport disk/);
    expect(transportProblem([file('a', 0, -1)], 10 * MiB)).toMatch(/invalid/);
    expect(transportProblem([{ ...file('a', 0, 1), mtimeMs: 1.5 }], 10 * MiB)).toMatch(/invalid/);
    // Not even a list of entries (a forged message): refused, not an internal error.
    expect(transportProblem({ name: 'a' } as unknown as TransportedFile[], 10 * MiB)).toMatch(/not a list/);
    expect(transportProblem([null] as unknown as TransportedFile[], 10 * MiB)).toMatch(/not an object/);
  });
});
