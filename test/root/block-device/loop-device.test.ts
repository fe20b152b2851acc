// Loop devices as resources: the detach is registered before the attach, and detaching waits
// until the kernel has really let go of a device that was busy.
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResourceStack } from '../../../lib/resources/disposable-stack.js';
import { attachLoop, detachLoop, loopBackingFile, loopDevicesOf } from '../../../lib/resources/loop-device.js';
import { hostState, isRoot, type HostState } from '../../helpers/host.js';

describe.skipIf(!isRoot)('loop devices (root)', () => {
  let dir: string;
  let file: string;
  let before: HostState;

  beforeEach(() => {
    before = hostState();
    dir = mkdtempSync(join(tmpdir(), 'kiln-loop-'));
    file = join(dir, 'disk.raw');
    closeSync(openSync(file, 'w'));
    truncateSync(file, 16 * 1024 * 1024);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(hostState()).toEqual(before);
  });

  it('attaches, reports the backing file, and detaches when the stack unwinds', async () => {
    const stack = new ResourceStack();
    const device = await attachLoop(stack, file);
    expect(loopBackingFile(device)).toBe(file);
    expect(loopDevicesOf(file)).toEqual([device]);
    await stack.disposeAsync();
    expect(loopBackingFile(device)).toBeUndefined();
  });

  it('also detaches a device attached behind its back (lost losetup output)', async () => {
    const stack = new ResourceStack();
    await attachLoop(stack, file);
    const { execFileSync } = await import('node:child_process');
    execFileSync('losetup', ['--find', file]);
    expect(loopDevicesOf(file)).toHaveLength(2);
    await stack.disposeAsync();
    expect(loopDevicesOf(file)).toEqual([]);
  });

  it('waits for a busy device to be released instead of trusting losetup -d', async () => {
    const stack = new ResourceStack();
    const device = await attachLoop(stack, file);
    const holder = openSync(device, 'r');
    const released = setTimeout(() => closeSync(holder), 400);
    const started = Date.now();
    await detachLoop(device, file);
    clearTimeout(released);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(loopDevicesOf(file)).toEqual([]);
    await stack.disposeAsync();
  });
});
