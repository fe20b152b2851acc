// The state one build carries through its steps: the resolved build (read-only), the paths, where events
// and log lines go, the abort signals, and the stack of resources to release.
import type { LogSink } from '../log.js';
import type { ResolvedBuild } from '../plan/resolved-build.js';
import { exportedValues } from '../plan/hook-environment.js';
import type { EventSink } from '../report/events.js';
import type { ResourceStack } from '../resources/disposable-stack.js';
import { isRoot } from '../exec/run.js';
import { join } from 'node:path';

/** Paths of a build. */
export interface BuildPaths {
  /** The work folder (tmpfs or disk). */
  work: string;
  /** The image root while it is built (TARGET_ROOT). */
  root: string;
  /** The merged hook tree (TMP_HOOKS_PATH). */
  hooks: string;
}

/** Everything a build step needs. */
export interface BuildContext {
  readonly plan: ResolvedBuild;
  readonly paths: BuildPaths;
  readonly log: LogSink;
  readonly emit: EventSink;
  /** Aborted on the first Ctrl-C/SIGTERM: stop gracefully. */
  readonly signal: AbortSignal;
  /** Aborted on the second Ctrl-C: kill running hooks at once. */
  readonly forceSignal: AbortSignal;
  /** Resources of the whole build, released in reverse order at the end. */
  readonly stack: ResourceStack;
  /** Values hook phases print back (IMAGE_SIZE, IMAGE_BLOCK_DEVICE, ...), visible to later hooks. */
  readonly runtimeEnv: Record<string, string>;
  /** Layers and outputs are reused from the cache but none are stored (nobody would keep them). */
  readonly readOnlyCache?: boolean;
}

/** Paths inside a work folder. */
export function buildPaths(work: string): BuildPaths {
  return { work, root: join(work, 'root'), hooks: join(work, 'hooks') };
}

/** The environment every hook gets, before phase-specific values. */
export function hookEnvironment(ctx: BuildContext): Record<string, string> {
  const shellFiles = ctx.plan.envFiles.filter((f) => f.kind === 'shell').map((f) => f.name);
  return {
    ...exportedValues(ctx.plan.environment),
    KILN_SUDO: isRoot() ? '' : 'sudo -n',
    KILN_ENV_FILES: shellFiles.join(' '),
    ...ctx.runtimeEnv,
  };
}
