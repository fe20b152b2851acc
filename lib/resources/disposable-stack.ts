// Node 20 has Symbol.asyncDispose but not AsyncDisposableStack. This is a small, faithful
// subset: resources are released in reverse order of acquisition, every release runs even if
// an earlier one throws, and the failures are combined into one CleanupError that names each
// resource left unreleased. When the work itself failed too, `await using` wraps both in a
// SuppressedError: unwrapCleanup() takes them apart again, so that the user sees the work's error
// first and then, by name, what could not be released (lib/cli/main.ts).
import { KilnError } from '../errors.js';

/** One resource that could not be released, and why. */
export interface ReleaseFailure {
  name: string;
  error: unknown;
}

/** Releases that failed: each is named, so that the user knows what is still there. */
class CleanupError extends KilnError {
  readonly failures: ReleaseFailure[];
  constructor(failures: ReleaseFailure[]) {
    const text = failures.map((f) => `${f.name}: ${messageOf(f.error)}`);
    super(failures.length === 1 ? `cleanup failed: ${text[0]}` : `cleanup failed in ${failures.length} places: ${text.join('; ')}`, {
      hint: 'release what is named by hand (findmnt, losetup -a), or start another build with the same TMPDIR: it clears what a build that is gone left behind',
    });
    this.failures = failures;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An error the work failed with, together with the clean-up failures that followed it. */
export class FailedWithCleanup extends Error {
  constructor(readonly primary: unknown, readonly cleanup: ReleaseFailure[]) {
    super(messageOf(primary));
    this.name = 'FailedWithCleanup';
  }
}

/**
 * Takes an error apart into the one the work failed with and the releases that failed after it
 * (SuppressedErrors of nested `await using` blocks, CleanupErrors, FailedWithCleanup), in the
 * order they happened.
 */
export function unwrapCleanup(error: unknown): { primary: unknown; cleanup: ReleaseFailure[] } {
  if (error instanceof FailedWithCleanup) return { primary: error.primary, cleanup: error.cleanup };
  if (error instanceof Error && error.name === 'SuppressedError' && 'suppressed' in error && 'error' in error) {
    const inner = unwrapCleanup(error.suppressed);
    return { primary: inner.primary, cleanup: [...inner.cleanup, ...releaseFailures(error.error)] };
  }
  return { primary: error, cleanup: [] };
}

function releaseFailures(error: unknown): ReleaseFailure[] {
  if (error instanceof CleanupError) return error.failures;
  const { primary, cleanup } = unwrapCleanup(error);
  return [...(primary instanceof CleanupError ? primary.failures : [{ name: 'a release', error: primary }]), ...cleanup];
}

/** A release function registered on the stack. */
export type Release = () => PromiseLike<void> | void;

/** Collects releases and runs them in reverse order exactly once. */
export class ResourceStack implements AsyncDisposable {
  private readonly releases: { name: string; release: Release }[] = [];
  private disposed = false;

  /** Registers `release` to run at disposal; returns nothing so callers register right after the effect. */
  defer(name: string, release: Release): void {
    if (this.disposed) throw new Error(`resource stack already disposed (while adding ${name})`);
    this.releases.push({ name, release });
  }

  /** Registers an AsyncDisposable and returns it. */
  use<T extends AsyncDisposable>(name: string, resource: T): T {
    this.defer(name, () => resource[Symbol.asyncDispose]());
    return resource;
  }

  /** Number of releases still pending. */
  get size(): number {
    return this.releases.length;
  }

  /** Runs every release (last registered first); throws a combined error if any failed. */
  async disposeAsync(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const errors: ReleaseFailure[] = [];
    while (this.releases.length) {
      const { name, release } = this.releases.pop()!;
      try {
        await release();
      } catch (error) {
        errors.push({ name, error });
      }
    }
    // A nested stack's failures are named more precisely than the release that disposed it.
    const failures = errors.flatMap((e) => (e.error instanceof CleanupError ? e.error.failures : [e]));
    if (failures.length) throw new CleanupError(failures);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.disposeAsync();
  }
}
