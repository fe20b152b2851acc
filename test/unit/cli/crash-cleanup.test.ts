// A bug that throws outside the build's promise chain (in an event handler, as a console log
// written after it was closed once did during a boot test) must not end kiln with mounts, loop
// devices or QEMU still held: runCommand turns it into an abort, clean-up runs, and the command
// exits 70 naming the bug.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../../../lib/cli/main.js';
import { ResourceStack } from '../../../lib/resources/disposable-stack.js';
import { captureStdio } from '../../helpers/stdio.js';

/** Emits an uncaught exception to kiln's handler only (the test runner's own would fail the run). */
function crash(error: Error): void {
  const others = process.listeners('uncaughtException');
  const kilns = others.slice(-1);
  for (const listener of others) process.off('uncaughtException', listener);
  try {
    for (const listener of kilns) process.on('uncaughtException', listener);
    process.emit('uncaughtException', error, 'uncaughtException');
  } finally {
    for (const listener of kilns) process.off('uncaughtException', listener);
    for (const listener of others) process.on('uncaughtException', listener);
  }
}

/** Waits until `signal` aborts, then throws its reason (as every step of a build does). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
}

describe('an exception thrown outside the build', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stops the work, releases what it holds and exits 70 with the bug named once', async () => {
    const io = captureStdio();
    const released: string[] = [];
    const before = process.listenerCount('uncaughtException');
    const code = await runCommand('disk-image-create', [], async ({ signal }) => {
      await using stack = new ResourceStack();
      stack.defer('unmount /tmp/kiln-build.1.abcdef/root/proc', () => void released.push('mount'));
      stack.defer('stop qemu', () => void released.push('qemu'));
      setImmediate(() => crash(new Error('write after end')));
      await untilAborted(signal);
    });
    expect(code).toBe(70);
    expect(released).toEqual(['qemu', 'mount']);
    expect(io.stderr).toContain('disk-image-create: internal error: write after end: stopping and cleaning up');
    expect(io.stderr.match(/internal error: write after end\n/g)).toHaveLength(1);
    expect(io.stderr).toContain('hint: this is a bug in kiln');
    expect(process.listenerCount('uncaughtException')).toBe(before);
  });

  it('a body that finishes anyway still reports the crash', async () => {
    captureStdio();
    const code = await runCommand('kiln-diff', [], async () => {
      crash(new Error('boom'));
      return 0;
    });
    expect(code).toBe(70);
  });
});
