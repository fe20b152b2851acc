// The root and end-to-end tiers need root. Run by anyone else they must not pass by skipping
// themselves: vitest's global setup of those two projects stops the run with one line saying
// why, unless KILN_TESTS_SKIP_ROOT=1 says skipping is meant, and then the run says how many test
// files it skips (each file's describe.skipIf(!isRoot) does the skipping; vitest counts the tests).
import type { TestProject } from 'vitest/node';

/** The variable that lets a user who is not root skip the root and e2e tiers on purpose. */
export const SKIP_ROOT_VARIABLE = 'KILN_TESTS_SKIP_ROOT';

/** What to do for `tier` with `files` test files: run (undefined), skip (the line to print), or throw. */
export function rootTierDecision(tier: string, files: number, uid: number | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (uid === 0 || files === 0) return undefined;
  if (env[SKIP_ROOT_VARIABLE] === '1') {
    return `kiln tests: not root and ${SKIP_ROOT_VARIABLE}=1: skipping the ${tier} tier (${files} test file${files === 1 ? '' : 's'})`;
  }
  throw new Error(`the ${tier} tier needs root (it builds with loop devices, mounts and chroots): run the tests as root, or set ${SKIP_ROOT_VARIABLE}=1 to skip the root and e2e tiers on purpose`);
}

/** vitest global setup of the root and e2e projects. */
export default async function setup(project: TestProject): Promise<void> {
  const { testFiles } = await project.globTestFiles();
  let skipping: string | undefined;
  try {
    skipping = rootTierDecision(project.name, testFiles.length, process.getuid?.(), process.env);
  } catch (error) {
    // The line is the whole story: no stack of vitest's internals under it.
    (error as Error).stack = (error as Error).message;
    throw error;
  }
  if (skipping) process.stderr.write(`${skipping}\n`);
}
