// The stages of the image root that the layer cache snapshots: after root.d and after each
// phase that changes the tree before it is measured. A stage's layer holds the image root and
// the hook tree (extra-data.d may write into it) as they are when the stage ends.

/** A cacheable stage: a phase, or the `-p` packages step. */
export interface StageSpec {
  /** Stage name as shown in the plan. */
  name: string;
  /** Phase whose hooks run in this stage (undefined for the -p packages step). */
  phase: string | undefined;
}

/** Stages in run order. */
export const ROOT_STAGES: readonly StageSpec[] = [
  { name: 'root', phase: 'root' },
  { name: 'extra-data', phase: 'extra-data' },
  { name: 'pre-install', phase: 'pre-install' },
  { name: 'install', phase: 'install' },
  { name: 'packages', phase: undefined },
  { name: 'post-install', phase: 'post-install' },
  { name: 'post-root', phase: 'post-root' },
];
