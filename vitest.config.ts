import { defineConfig } from 'vitest/config';

// Three projects (see README "Tests"): unit (with files and lint) is fast and needs no root;
// root needs root and real loop devices but only seconds; e2e builds real images against the
// Debian mirror and boots them under QEMU (minutes). `npm test` runs them all, one after the
// other (groupOrder): projects otherwise run in parallel, and root and e2e check the whole host
// for leaked mounts and loop devices. `npm run test:unit` runs the fast ones.
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
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'root',
          include: ['test/root/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
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
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
