// Runs the hooks of one phase, in the plan's order, on the host or inside the chroot. Each hook
// gets its own log label (flavour/hook), its time is measured, and a failure becomes a
// HookFailedError naming flavour, phase, hook and the last lines of output. Hooks may print
// `KEY=value` lines for the phase's declared outputs (IMAGE_SIZE, IMAGE_BLOCK_DEVICE).
import { join } from 'node:path';
import { CommandFailedError, HookFailedError } from '../errors.js';
import { run, SYSTEM_PATH, type RunResult } from '../exec/run.js';
import type { Hook } from '../flavours/hooks.js';
import { phase as phaseSpec, type PhaseSpec } from '../flavours/phases.js';
import { isSecretVariable } from '../plan/print.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { chrootBaseEnv, chrootRun } from '../resources/chroot.js';
import { mount } from '../resources/mount.js';
import { makeImageDir } from '../resources/root-files.js';
import { isAtOrBelow, UnsafePathError } from '../resources/safe-path.js';
import { realpathSync } from 'node:fs';
import { hookEnvironment, type BuildContext } from './context.js';
import { KILN_DIR } from './hook-tree.js';
import { mkdir } from 'node:fs/promises';

/** Where the hook tree appears inside the chroot (DIB's path, relied on by elements). */
export const IN_TARGET = '/tmp/in_target.d';

/** Values printed by hooks for the phase's outputs; the last printed value wins. */
function collectOutputs(spec: PhaseSpec, lines: readonly string[]): Record<string, string> {
  const found: Record<string, string> = {};
  for (const line of lines) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match && spec.outputs.includes(match[1]!)) found[match[1]!] = match[2]!.replace(/^["']|["']$/g, '');
  }
  return found;
}

/** Runs every hook of `phaseName`; returns the outputs the hooks printed. */
export async function runPhase(ctx: BuildContext, phaseName: string, extraEnv: Record<string, string> = {}): Promise<Record<string, string>> {
  return (await runPhaseHooks(ctx, phaseName, { extraEnv })).outputs;
}

/** How much of a phase to run: from which hook, and where to stop early. */
export interface PhaseRunOptions {
  extraEnv?: Record<string, string>;
  /** Index of the first hook to run (the ones before come from a cached layer). */
  from?: number;
  /** Asked after each hook but the last: true stops the phase there (to store a layer). */
  pauseAfter?: (index: number, hook: Hook) => boolean;
}

/** What a (partial) phase run produced. */
export interface PhaseRun {
  outputs: Record<string, string>;
  /** Index of the hook after which the run stopped, when pauseAfter asked for it. */
  pausedAfter: number | undefined;
}

/** Runs the hooks of `phaseName` from `options.from`, until the end or a pause. */
export async function runPhaseHooks(ctx: BuildContext, phaseName: string, options: PhaseRunOptions = {}): Promise<PhaseRun> {
  const spec = phaseSpec(phaseName);
  const hooks = ctx.plan.phases.find((p) => p.name === spec.name)?.hooks ?? [];
  const from = options.from ?? 0;
  const outputs: Record<string, string> = {};
  let pausedAfter: number | undefined;
  ctx.emit({ type: 'phase-start', phase: spec.name, where: spec.where, hooks: hooks.length - from });
  const started = Date.now();
  if (hooks.length > from) {
    await using phaseStack = new ResourceStack();
    if (spec.where === 'chroot') await bindHookTree(ctx, phaseStack);
    for (let index = from; index < hooks.length; index++) {
      ctx.signal.throwIfAborted();
      const hook = hooks[index]!;
      const printed = await runHook(ctx, spec, hook, { ...options.extraEnv, ...outputs });
      Object.assign(outputs, printed);
      if (index < hooks.length - 1 && options.pauseAfter?.(index, hook)) {
        pausedAfter = index;
        break;
      }
    }
  }
  ctx.emit({ type: 'phase-end', phase: spec.name, durationMs: Date.now() - started });
  return { outputs, pausedAfter };
}

/**
 * Bind-mounts the hook tree read-only at /tmp/in_target.d and the flavours' cache folders (their
 * `cache-mounts` lines were checked when the flavours were read). The targets are resolved inside
 * the image, the sources inside the cache: neither an image symlink nor a cache symlink can
 * turn a bind mount into a mount on or of a host folder.
 */
export async function bindHookTree(ctx: BuildContext, stack: ResourceStack): Promise<void> {
  const tree = { root: ctx.paths.root, log: ctx.log };
  const target = await makeImageDir(tree, IN_TARGET);
  await mount(stack, { source: ctx.paths.hooks, target, bind: true, readOnly: true, log: ctx.log });
  for (const cache of ctx.plan.cacheMounts) {
    const source = await cacheFolder(ctx.plan.request.imageCache, cache.cacheDir);
    const inImage = await makeImageDir(tree, cache.imagePath);
    await mount(stack, { source, target: inImage, bind: true, log: ctx.log });
  }
}

/** Creates `<cache>/<sub>` and returns its real path, which must still be inside the cache. */
async function cacheFolder(cacheDir: string, sub: string): Promise<string> {
  const wanted = join(cacheDir, sub);
  await mkdir(wanted, { recursive: true });
  const real = realpathSync(wanted);
  if (!isAtOrBelow(real, realpathSync(cacheDir))) {
    throw new UnsafePathError(`cache folder ${wanted} leads out of the cache (to ${real})`, `remove the symlink ${wanted}: cache-mounts folders must be real folders inside the cache`);
  }
  return real;
}

async function runHook(ctx: BuildContext, spec: PhaseSpec, hook: Hook, extraEnv: Record<string, string>): Promise<Record<string, string>> {
  ctx.emit({ type: 'hook-start', phase: spec.name, hook: hook.name, flavour: hook.flavour });
  const started = Date.now();
  const label = `${hook.flavour}/${spec.dir}/${hook.name}`;
  const lines: string[] = [];
  const options = {
    log: ctx.log,
    label,
    signal: ctx.signal,
    forceSignal: ctx.forceSignal,
    captureStdout: false,
    onLine: (line: string, stream: 'stdout' | 'stderr') => {
      if (stream === 'stdout') lines.push(line);
      ctx.emit({ type: 'hook-output', phase: spec.name, hook: hook.name, flavour: hook.flavour, line });
    },
  };
  const env = { ...hookEnvironment(ctx), ...extraEnv, KILN_FLAVOUR: hook.flavour, KILN_PHASE: spec.name };
  let result: RunResult;
  try {
    result = spec.where === 'chroot'
      ? await chrootRun(ctx.paths.root, [`${IN_TARGET}/${KILN_DIR}/run-hook`, `${IN_TARGET}/${spec.dir}/${hook.name}`], chrootEnv(env), { ...options, allowFailure: true })
      : await run([join(ctx.paths.hooks, KILN_DIR, 'run-hook'), join(ctx.paths.hooks, spec.dir, hook.name)], { ...options, env: hostEnv(ctx, env), allowFailure: true });
  } catch (error) {
    if (error instanceof CommandFailedError) throw hookFailed(ctx, spec, hook, error.code, error.signal, error.outputTail);
    throw error;
  }
  if (result.exitCode !== 0 || result.signal) throw hookFailed(ctx, spec, hook, result.exitCode, result.signal, result.tail);
  ctx.emit({ type: 'hook-end', phase: spec.name, hook: hook.name, flavour: hook.flavour, durationMs: Date.now() - started });
  return collectOutputs(spec, lines);
}

function hookFailed(ctx: BuildContext, spec: PhaseSpec, hook: Hook, code: number | undefined, signal: string | undefined, tail: string[]): HookFailedError {
  return new HookFailedError({
    flavour: hook.flavour, phase: spec.dir, hook: hook.name, where: spec.where,
    exitCode: code, signal, outputTail: tail, logFile: ctx.log.path,
  });
}

function hostEnv(ctx: BuildContext, env: Record<string, string>): Record<string, string> {
  return {
    ...env,
    PATH: `${process.env.PATH ?? SYSTEM_PATH}:${SYSTEM_PATH}`,
    TARGET_ROOT: ctx.paths.root,
    TMP_MOUNT_PATH: ctx.paths.root,
    TMP_HOOKS_PATH: ctx.paths.hooks,
    TMP_BUILD_DIR: ctx.paths.work,
  };
}

function chrootEnv(env: Record<string, string>): Record<string, string> {
  const { TMPDIR: _tmp, ...rest } = env;
  // Secrets reach host hooks only: a chroot hook's environment is on the chroot command line.
  const shown = Object.fromEntries(Object.entries(rest).filter(([name]) => !isSecretVariable(name)));
  return { ...shown, ...chrootBaseEnv(), TMP_HOOKS_PATH: IN_TARGET };
}
