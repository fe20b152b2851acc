// Host-state snapshots for leak checks: mounts, loop devices and kiln temp folders before and
// after a build must be the same. The snapshot covers the temp folder tests run in (TMPDIR,
// resolved): every build of a test works and writes there, and several test runs with their own
// TMPDIR can share one machine without seeing each other's builds.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';

/** What a build could leak. */
export interface HostState {
  mounts: string[];
  loops: string[];
  tempDirs: string[];
}

/** The current mounts, attached loop devices and kiln temp folders. */
export function hostState(): HostState {
  const scope = realpathSync(tmpdir());
  const inScope = (path: string | undefined): boolean => path === scope || (path ?? '').startsWith(`${scope}/`);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter(inScope).sort();
  let loops: string[] = [];
  try {
    loops = execFileSync('losetup', ['-a', '-n', '-O', 'NAME,BACK-FILE']).toString().trim().split('\n').filter(Boolean);
  } catch {
    loops = [];
  }
  loops = loops.filter((line) => inScope(line.trim().split(/\s+/)[1])).sort();
  const tempDirs = readdirSync(tmpdir()).filter((name) => name.startsWith('kiln-build.')).sort();
  return { mounts, loops, tempDirs };
}

/** True when the process runs as root. */
export const isRoot = process.getuid?.() === 0;

/** Stops a test whose host program is missing with one line naming its Debian package: a test
 * that skipped itself instead would let the run pass without it (.ci/setup-host installs them). */
export function requireHostProgram(found: string | undefined | false, program: string, debianPackage: string): string {
  if (found) return found;
  throw new Error(`this test needs ${program} (Debian package ${debianPackage}; .ci/setup-host installs it)`);
}

/** Repository root and its commands. */
export const repo = join(import.meta.dirname, '../..');
export const bin = (name: string): string => join(repo, 'bin', name);
export const fixtures = join(repo, 'test/fixtures/flavours');

/** Result of running a command to completion. */
export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts a kiln command; returns the child and a promise of its result. */
export function start(command: string, args: string[], env: Record<string, string> = {}, cwd = repo): { child: ChildProcess; done: Promise<Ran> } {
  // A kiln command by name, or any program by its path.
  const child = spawn(command.includes('/') ? command : bin(command), args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Ran>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** Runs a kiln command to completion. */
export function kiln(command: string, args: string[], env: Record<string, string> = {}, cwd = repo): Promise<Ran> {
  return start(command, args, env, cwd).done;
}

/** A fresh folder under TMPDIR for each test of the calling suite, removed after it, with a
 * check that the test left no mount, loop device or kiln temp folder behind. */
export function leakCheckedFolder(prefix: string): { readonly path: string } {
  const folder = { path: '' };
  let before: HostState;
  beforeEach(() => {
    folder.path = mkdtempSync(join(tmpdir(), prefix));
    before = hostState();
  });
  afterEach(() => {
    try {
      expect(hostState()).toEqual(before);
    } finally {
      rmSync(folder.path, { recursive: true, force: true });
    }
  });
  return folder;
}
