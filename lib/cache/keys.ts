// Layer keys: each stage's key is a hash of the previous stage's key and of everything that
// shapes this stage (its hooks' names, flavours and contents, its package lists, the options it
// reads). A change therefore invalidates exactly the stages from the one it touches onwards.
// The base key covers what every stage sees: the flavours, the environment, environment.d files,
// the rest of the hook tree (bin/, static/, top-level files) and declared host inputs.
import { createHash } from 'node:crypto';
import { KEY_NEUTRAL_OPTION_VARIABLES } from '../config/field-views.js';
import type { RootStage } from '../flavours/phases.js';

/** One hook of a stage: `install.d/50-foo` and its `hook ... sha256` key line. */
export interface StageHook {
  name: string;
  line: string;
}

/** What shapes one stage. */
export interface StageInputs {
  stage: RootStage;
  /** The stage's hooks in run order. */
  hooks: StageHook[];
  /** Other inputs as text (package lists, first-boot hooks, -p packages). */
  extra: string[];
  /** Hooks declared always-run (`install.d/50-foo`): never taken from the cache. */
  alwaysRun: string[];
  /** Host hooks whose host reads the key cannot see (flavour without `cache-inputs`). */
  unseen: string[];
}

/** The tree part-way through a stage, after one of its hooks: a layer can be kept there. */
export interface Checkpoint {
  /** Index of the hook in the stage's run order. */
  index: number;
  /** `install.d/50-foo`. */
  afterHook: string;
  key: string;
  /** Why this checkpoint can never come from the cache, if it cannot. */
  uncacheable: string | undefined;
}

/** A stage with its key and whether a stored layer may be reused. */
export interface StageKey {
  stage: RootStage;
  key: string;
  /** Why this stage can never come from the cache, if it cannot. */
  uncacheable: string | undefined;
  /** After each hook but the last: a slow hook's result is kept, so that a change to a later
   * hook of the same phase resumes right after it. */
  checkpoints: Checkpoint[];
  /** Host hooks of this stage whose host reads the key cannot see (`root.d/10-x (flavour)`). */
  unseen: string[];
}

/** Bumped whenever the layer format or key recipe changes. */
const CACHE_FORMAT = 'kiln-layer-v3';

/** sha256 of text, hex. */
export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The base key from the inputs every stage shares. */
export function baseKey(parts: { options: string[]; flavours: string[]; environment: [string, string][]; files: string[] }): string {
  const lines = [
    CACHE_FORMAT,
    ...parts.options,
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
    const lines = inputs.hooks.map((h) => h.line);
    // A stage that runs nothing leaves the tree as it was: it shares the previous stage's layer.
    const empty = !lines.length && !inputs.extra.length && previous !== base;
    const key = empty ? previous : hash([previous, `stage ${inputs.stage.name}`, ...lines, ...inputs.extra]);
    const checkpoints = stageCheckpoints(previous, inputs, blocked);
    previous = key;
    if (inputs.alwaysRun.length && blocked === undefined) {
      blocked = `always-run hook ${inputs.alwaysRun.join(', ')}`;
      return { stage: inputs.stage, key, uncacheable: blocked, checkpoints, unseen: inputs.unseen };
    }
    return { stage: inputs.stage, key, uncacheable: blocked === undefined ? undefined : `follows ${blocked}`, checkpoints, unseen: inputs.unseen };
  });
}

/** Checkpoint keys: the stage's start, its other inputs and the hooks that ran so far. A hook
 * declared always-run blocks the checkpoints from its own onwards, not the ones before it. */
function stageCheckpoints(start: string, inputs: StageInputs, blocked: string | undefined): Checkpoint[] {
  let always: string | undefined;
  return inputs.hooks.slice(0, -1).map((hook, index) => {
    if (always === undefined && inputs.alwaysRun.includes(hook.name)) always = `always-run hook ${hook.name}`;
    const lines = inputs.hooks.slice(0, index + 1).map((h) => h.line);
    return {
      index,
      afterHook: hook.name,
      key: hash([start, `checkpoint ${inputs.stage.name}`, ...inputs.extra, ...lines]),
      uncacheable: blocked !== undefined ? `follows ${blocked}` : always,
    };
  });
}

function hash(lines: readonly string[]): string {
  return sha256(lines.join('\n')).slice(0, 32);
}

/** Variables of diskimage-builder's contract (lib/plan/dib-environment.ts) that never shape the
 * image tree (snapshots of the invocation, host paths, output settings); DIB_ENV's DIB_ variables
 * are in the keys one by one already. */
const DIB_KEY_NEUTRAL_VARIABLES = ['_LIB', 'DIB_ARGS', 'DIB_ENV', 'DIB_PYTHON_EXEC', 'DIB_MIN_TMPFS', 'TMP_DIR', 'COMPRESS_IMAGE', 'DIB_CHECKSUM', 'DIB_LOCKFILES'] as const;

/** Variables that never change the image's content and so stay out of keys: those of options that
 * do not shape the tree (IMAGE_NAME: the same build under another -o reuses its layers), and the
 * flavours' folders (their contents are in the keys: another checkout reuses the layers). */
export const KEY_NEUTRAL_VARIABLES: ReadonlySet<string> = new Set([...KEY_NEUTRAL_OPTION_VARIABLES, 'ELEMENTS_PATH', 'IMAGE_ELEMENT_YAML', 'KILN_HOME', ...DIB_KEY_NEUTRAL_VARIABLES]);
