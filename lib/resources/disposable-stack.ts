// Node 20 has Symbol.asyncDispose but not AsyncDisposableStack. This is a small, faithful
// subset: resources are released in reverse order of acquisition, every release runs even if
// an earlier one throws, and the errors are combined (as SuppressedError does).

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
    const errors: { name: string; error: unknown }[] = [];
    while (this.releases.length) {
      const { name, release } = this.releases.pop()!;
      try {
        await release();
      } catch (error) {
        errors.push({ name, error });
      }
    }
    if (errors.length === 1) throw errors[0]!.error;
    if (errors.length > 1) {
      const text = errors.map((e) => `${e.name}: ${e.error instanceof Error ? e.error.message : String(e.error)}`);
      throw new AggregateError(errors.map((e) => e.error), `cleanup failed in ${errors.length} places: ${text.join('; ')}`);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.disposeAsync();
  }
}
