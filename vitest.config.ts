import { defineConfig } from 'vitest/config';

// Four projects (see README "Tests"): unit (with lint) is pure and fast; files runs real tools
// on files in temp folders, without root; root needs root and real loop devices but only
// seconds; e2e builds real images against the Debian mirror and boots them under QEMU (minutes).
// `npm test` runs them all, root and e2e after the others, one after the other (groupOrder): they
// check the whole host for leaked mounts and loop devices. Root and e2e refuse to run without
// root unless KILN_TESTS_SKIP_ROOT=1 (test/setup/root-tiers.ts).
// Pure and temp-folder tests: one worker thread per core, modules shared between files (10 s
// instead of 45 s on 2 cores, where starting a process per file dominated).
const fast = { testTimeout: 20_000, pool: 'threads', isolate: false, sequence: { groupOrder: 0 } } as const;
const rootTiers = ['test/setup/root-tiers.ts'];

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/lint/**/*.test.ts'], ...fast } },
      { test: { name: 'files', include: ['test/files/**/*.test.ts'], ...fast } },
      {
        test: {
          name: 'root',
          include: ['test/root/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          globalSetup: rootTiers,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 1_800_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
          globalSetup: rootTiers,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
