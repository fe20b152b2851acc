// When the work fails and its clean-up fails too, the user sees the work's error first and then,
// by name, what could not be released: never "internal error: An error was suppressed during
// disposal" with the real error lost, and never a claim that everything was released.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reportError } from '../../../lib/cli/main.js';
import { HookFailedError, InterruptedError } from '../../../lib/errors.js';
import { ResourceStack } from '../../../lib/resources/disposable-stack.js';
import { captureStdio } from '../../helpers/stdio.js';

/** Runs `body` inside two nested `await using` stacks whose releases fail as given; returns what it threw. */
async function failing(body: () => void, outer: string | undefined, inner: string | undefined): Promise<unknown> {
  try {
    await using a = new ResourceStack();
    a.defer('unmount /tmp/kiln-build.1.abcdef/root/proc', () => {
      if (outer) throw new Error(outer);
    });
    {
      await using b = new ResourceStack();
      b.defer('detach loop device /dev/loop7', () => {
        if (inner) throw new Error(inner);
      });
      b.defer('leave the chroot', () => undefined);
      body();
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('errors when clean-up fails too', () => {
  let io: ReturnType<typeof captureStdio>;
  beforeEach(() => {
    io = captureStdio();
  });
  afterEach(() => vi.restoreAllMocks());

  const hookError = (): HookFailedError => new HookFailedError({ flavour: 'probe', phase: 'install.d', hook: '50-probe-install', where: 'chroot', exitCode: 3, signal: undefined, outputTail: ['boom'] });
  const hookFailed = (): never => {
    throw hookError();
  };

  it('shows the build\'s error first, then each resource left, by name', async () => {
    const error = await failing(hookFailed, 'umount: target is busy', 'losetup: /dev/loop7: detach failed');
    const code = reportError('disk-image-create', error, false);
    expect(code).toBe(1);
    const lines = io.stderr.split('\n');
    expect(lines.slice(0, 3)).toEqual([`disk-image-create: ${hookError().message}`, 'last lines of its output:', '  | boom']);
    expect(io.stderr).not.toMatch(/internal error|suppressed/i);
    const cleanup = io.stderr.slice(io.stderr.indexOf('clean-up failed as well'));
    expect(io.stderr.indexOf('clean-up failed as well')).toBeGreaterThan(io.stderr.indexOf('50-probe-install'));
    expect(cleanup).toContain('  detach loop device /dev/loop7: losetup: /dev/loop7: detach failed\n  unmount /tmp/kiln-build.1.abcdef/root/proc: umount: target is busy\n');
  });

  it('an interrupted build whose clean-up failed does not claim that everything was released', async () => {
    const error = await failing(() => {
      throw new InterruptedError('SIGTERM');
    }, undefined, 'losetup: detach failed');
    expect(reportError('disk-image-create', error, false)).toBe(143);
    expect(io.stderr).toMatch(/^disk-image-create: build interrupted by SIGTERM\n/);
    expect(io.stderr).not.toContain('everything kiln set up was released');
    expect(io.stderr).toContain('  detach loop device /dev/loop7: losetup: detach failed\n');
  });

  it('a build whose work succeeded but whose clean-up failed names what is left', async () => {
    const error = await failing(() => undefined, 'umount: target is busy', undefined);
    expect(reportError('disk-image-create', error, false)).toBe(1);
    expect(io.stderr).toContain('disk-image-create: cleanup failed: unmount /tmp/kiln-build.1.abcdef/root/proc: umount: target is busy');
    expect(io.stderr).not.toMatch(/internal error/);
  });

  it('an interrupted build that released everything says so', async () => {
    const error = await failing(() => {
      throw new InterruptedError('SIGHUP');
    }, undefined, undefined);
    expect(reportError('disk-image-create', error, false)).toBe(129);
    expect(io.stderr).toBe('disk-image-create: build interrupted by SIGHUP; everything kiln set up was released\n');
  });
});
