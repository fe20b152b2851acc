// Outputs appear only when complete, and the outputs of one build appear together. A build
// first takes the lock on its output name (`.NAME.kiln-lock` beside the outputs: a second build
// with the same -o is refused at once instead of installing its files over ours), then writes
// every output, checksum and folder into its own staging folder beside them (mkdtemp: a unique,
// private name on the same filesystem), and only when the whole build has succeeded moves them
// all into place. A failure, an abort or a kill replaces nothing; the staging folder goes (the
// next build with the same name clears one left by a killed build).
//
// The writers (image, tree, container formats, checksums) call writeAtomically(); inside
// OutputSet.run() it writes into the set, elsewhere it stands alone (its own unique temp name,
// renamed when complete).
import { AsyncLocalStorage } from 'node:async_hooks';
import { lstatSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InternalError } from '../errors.js';
import type { LogSink } from '../log.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { acquireLock } from '../resources/file-lock.js';
import { removeTree } from '../resources/remove-tree.js';
import { lexists } from '../resources/safe-path.js';
import { handOver } from './owner.js';

/** How the writer made the partial file. */
export interface PartialWriteOptions {
  /** A privileged tool created the file (so a non-root kiln needs sudo to chown it). */
  createdByRoot?: boolean;
  log?: LogSink;
}

const active = new AsyncLocalStorage<OutputSet>();

const stagingPrefix = (base: string): string => `.${base}.kiln-staging.`;

/** The outputs of one build, staged beside their final names and put in place together. */
export class OutputSet implements AsyncDisposable {
  private readonly pending = new Map<string, string>();

  private constructor(
    /** Folder of the outputs. */
    readonly dir: string,
    /** The staging folder, inside `dir`. */
    readonly staging: string,
    private readonly stack: ResourceStack,
    private readonly log: LogSink | undefined,
  ) {}

  /** Locks the output name `imageName` (refused at once if another build holds it) and makes the staging folder. */
  static async open(imageName: string, log?: LogSink): Promise<OutputSet> {
    const dir = dirname(imageName);
    const base = basename(imageName);
    await mkdir(dir, { recursive: true });
    const stack = new ResourceStack();
    try {
      const lock = await acquireLock(join(dir, `.${base}.kiln-lock`), `the output name ${imageName}`, 0);
      stack.defer(`release the output name ${imageName}`, () => lock.release());
      // We hold the name: a staging folder of it can only be a killed build's.
      for (const old of readdirSync(dir).filter((n) => n.startsWith(stagingPrefix(base)))) await removeTree(join(dir, old), log);
      const staging = await mkdtemp(join(dir, stagingPrefix(base)));
      stack.defer(`remove ${staging}`, () => removeTree(staging, log));
      return new OutputSet(dir, staging, stack, log);
    } catch (error) {
      await stack.disposeAsync();
      throw error;
    }
  }

  /** Runs `body` with this set receiving every writeAtomically() of an output in its folder. */
  run<T>(body: () => Promise<T>): Promise<T> {
    return active.run(this, body);
  }

  /** True if `path` is an output of this set's folder. */
  holds(path: string): boolean {
    return dirname(path) === this.dir;
  }

  /** Where an output is right now: in the staging folder until commit(), then at its name. */
  current(path: string): string {
    return this.pending.get(path) ?? path;
  }

  /** Writes one output into the staging folder. */
  async write(path: string, write: (staged: string) => Promise<void>, options: PartialWriteOptions = {}): Promise<void> {
    const staged = this.stagedPath(path);
    await write(staged);
    await handOver(staged, options.createdByRoot ?? false, options.log ?? this.log);
    this.pending.set(path, staged);
  }

  /** Moves a finished file or folder made elsewhere on this filesystem into the set as `path`. */
  async adopt(from: string, path: string): Promise<void> {
    const staged = this.stagedPath(path);
    await rename(from, staged);
    this.pending.set(path, staged);
  }

  /** Puts every staged output at its name, replacing older ones: call once the build has succeeded. */
  async commit(): Promise<void> {
    for (const [path, staged] of this.pending) {
      if (isFolder(staged)) {
        // A folder output (the oci layout) replaces an older folder: the old one moves aside first.
        const old = join(this.staging, `.old-${basename(path)}`);
        if (lexists(path)) await rename(path, old);
      }
      await rename(staged, path);
    }
    this.pending.clear();
  }

  private stagedPath(path: string): string {
    if (!this.holds(path)) throw new InternalError(`${path} is not in the output folder ${this.dir}`);
    return join(this.staging, basename(path));
  }

  /** Removes the staging folder with whatever was not committed, and releases the name. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stack.disposeAsync();
  }
}

/** The output set of the running build, if any. */
export function activeOutputSet(): OutputSet | undefined {
  return active.getStore();
}

/** Where output `path` is right now (staged while its build runs). */
export function currentOutput(path: string): string {
  return active.getStore()?.current(path) ?? path;
}

/** Runs `write(partial)`, hands the file to the output owner and puts it at `path` (or stages it, in a set). */
export async function writeAtomically(path: string, write: (partial: string) => Promise<void>, options: PartialWriteOptions = {}): Promise<void> {
  const set = active.getStore();
  if (set?.holds(path)) return set.write(path, write, options);
  await mkdir(dirname(path), { recursive: true });
  const staging = await mkdtemp(join(dirname(path), `.${basename(path)}.kiln-partial.`));
  try {
    const partial = join(staging, basename(path));
    await write(partial);
    await handOver(partial, options.createdByRoot ?? false, options.log);
    await rename(partial, path);
  } finally {
    // After the rename the folder is empty; after a failure the half-written file goes with it.
    await removeTree(staging, options.log);
  }
}

function isFolder(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}
