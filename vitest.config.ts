import { defineConfig } from 'vitest/config';

// Four tiers (see README "Tests"): unit/files/lint are fast and need no root; root needs root
// and real loop devices but only seconds; e2e builds real images against the Debian mirror and
// boots them under QEMU (minutes). `npm test` runs them all; `npm run test:unit` the fast ones.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/files/**/*.test.ts', 'test/lint/**/*.test.ts'],
          testTimeout: 20_000,
          // Pure and temp-folder tests: one worker thread per core, modules shared between files
          // (10 s instead of 45 s on 2 cores, where starting a process per file dominated).
          pool: 'threads',
          isolate: false,
        },
      },
      {
        test: {
          name: 'root',
          include: ['test/root/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 1_800_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
