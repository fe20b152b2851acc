// Layer keys: each stage's key is a hash of the previous stage's key and of everything that
// shapes this stage (its hooks' names, flavours and contents, its package lists, the options it
// reads). A change therefore invalidates exactly the stages from the one it touches onwards.
// The base key covers what every stage sees: the flavours, the environment, environment.d files,
// the rest of the hook tree (bin/, static/, top-level files) and declared host inputs.
import { createHash } from 'node:crypto';
import type { StageSpec } from './stages.js';

/** What shapes one stage. */
export interface StageInputs {
  stage: StageSpec;
  /** Sorted `name flavour sha256` lines of the stage's hooks (plus first-boot hooks for post-install). */
  hooks: string[];
  /** Other inputs as text (package lists, -p packages). */
  extra: string[];
  /** Hooks declared always-run: the stage is never taken from the cache. */
  alwaysRun: string[];
}

/** A stage with its key and whether a stored layer may be reused. */
export interface StageKey {
  stage: StageSpec;
  key: string;
  /** Why this stage can never come from the cache, if it cannot. */
  uncacheable: string | undefined;
}

/** Bumped whenever the layer format or key recipe changes. */
export const CACHE_FORMAT = 'kiln-layer-v1';

/** sha256 of text, hex. */
export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The base key from the inputs every stage shares. */
export function baseKey(parts: { arch: string; flavours: string[]; environment: [string, string][]; files: string[] }): string {
  const lines = [
    CACHE_FORMAT,
    `arch ${parts.arch}`,
    `flavours ${parts.flavours.join(' ')}`,
    ...parts.environment.map(([k, v]) => `env ${k}=${JSON.stringify(v)}`),
    ...parts.files,
  ];
  return sha256(lines.join('\n'));
}

/** Chains stage keys from the base key; an uncacheable stage makes all later ones uncacheable. */
export function chainKeys(base: string, stages: readonly StageInputs[]): StageKey[] {
  let previous = base;
  let blocked: string | undefined;
  return stages.map((inputs) => {
    // A stage that runs nothing leaves the tree as it was: it shares the previous stage's layer.
    const empty = !inputs.hooks.length && !inputs.extra.length && previous !== base;
    const key = empty ? previous : sha256([previous, `stage ${inputs.stage.name}`, ...inputs.hooks, ...inputs.extra].join('\n')).slice(0, 32);
    previous = key;
    if (inputs.alwaysRun.length && blocked === undefined) {
      blocked = `always-run hook ${inputs.alwaysRun.join(', ')}`;
      return { stage: inputs.stage, key, uncacheable: blocked };
    }
    return { stage: inputs.stage, key, uncacheable: blocked === undefined ? undefined : `follows ${blocked}` };
  });
}

/** Variables that never change the image's content and so stay out of keys. */
// IMAGE_NAME is the output path: the same build under another -o must reuse its layers.
export const KEY_NEUTRAL_VARIABLES = new Set(['DIB_IMAGE_CACHE', 'DIB_NO_TMPFS', 'DIB_CHECKSUM', 'DIB_DEBUG_TRACE', 'IMAGE_TYPE', 'DIB_OFFLINE', 'IMAGE_NAME']);
