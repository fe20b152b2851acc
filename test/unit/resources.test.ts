import { describe, expect, it } from 'vitest';
import { ResourceStack } from '../../lib/resources/disposable-stack.js';
import { mountsBelow } from '../../lib/resources/mount.js';
import { decideTmpfs, memTotal } from '../../lib/build/work-dir.js';

describe('ResourceStack', () => {
  it('releases in reverse order, also when the body throws, through `await using`', async () => {
    const order: string[] = [];
    const body = async (): Promise<void> => {
      await using stack = new ResourceStack();
      stack.defer('a', () => void order.push('release a'));
      stack.defer('b', async () => void order.push('release b'));
      order.push('body');
      throw new Error('hook failed');
    };
    await expect(body()).rejects.toThrow('hook failed');
    expect(order).toEqual(['body', 'release b', 'release a']);
  });
  it('runs every release even if some fail, and reports all failures', async () => {
    const order: string[] = [];
    const stack = new ResourceStack();
    stack.defer('first', () => void order.push('first'));
    stack.defer('second', () => {
      throw new Error('umount busy');
    });
    stack.defer('third', () => {
      throw new Error('losetup -d failed');
    });
    await expect(stack.disposeAsync()).rejects.toThrow(/cleanup failed in 2 places: third: losetup -d failed; second: umount busy/);
    expect(order).toEqual(['first']);
    await stack.disposeAsync();
    expect(order).toEqual(['first']);
  });
});

describe('mount table reading', () => {
  const info = [
    '22 1 0:21 / / rw - ext4 /dev/vda rw',
    '40 22 0:5 / /tmp/kiln-build.x/root/proc rw - proc proc rw',
    '41 22 0:5 / /tmp/kiln-build.x/root/dev rw - devtmpfs udev rw',
    '42 41 0:5 / /tmp/kiln-build.x/root/dev/pts rw - devpts devpts rw',
    '43 22 0:5 / /tmp/kiln-build.x/root\\040two rw - tmpfs t rw',
    '44 22 0:5 / /tmp/kiln-build.xy rw - tmpfs t rw',
  ].join('\n');
  it('lists mounts at or below a folder, deepest first, decoding escapes', () => {
    expect(mountsBelow('/tmp/kiln-build.x/root', info)).toEqual([
      '/tmp/kiln-build.x/root/dev/pts',
      '/tmp/kiln-build.x/root/proc',
      '/tmp/kiln-build.x/root/dev',
    ]);
    expect(mountsBelow('/tmp/kiln-build.x', info)).toContain('/tmp/kiln-build.x/root two');
    expect(mountsBelow('/tmp/kiln-build.x', info)).not.toContain('/tmp/kiln-build.xy');
  });
});

describe('tmpfs decision (DIB: MemTotal ≥ 2 × --min-tmpfs)', () => {
  const GiB = 2 ** 30;
  it('uses tmpfs when memory allows', () => {
    expect(decideTmpfs(24 * GiB, 2 * GiB, false).useTmpfs).toBe(true);
    expect(decideTmpfs(4 * GiB, 2 * GiB, false).useTmpfs).toBe(true);
  });
  it('builds on disk otherwise, saying why', () => {
    expect(decideTmpfs(3 * GiB, 2 * GiB, false)).toMatchObject({ useTmpfs: false, reason: expect.stringContaining('not enough RAM') });
    expect(decideTmpfs(24 * GiB, 2 * GiB, true)).toEqual({ useTmpfs: false, reason: '--no-tmpfs' });
    expect(decideTmpfs(undefined, 2 * GiB, false).useTmpfs).toBe(false);
  });
  it('reads MemTotal', () => {
    expect(memTotal('MemTotal:       24000000 kB\nMemFree: 1 kB\n')).toBe(24000000 * 1024);
  });
});
