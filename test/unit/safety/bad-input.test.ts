// Bad input, row by row, through the real entry point (--dry-run: nothing is built): each error
// row ends with exit 2 and one clear line (plus at most a hint), never "internal error", a stack
// trace or a raw control character; each warning row builds the plan (exit 0) and says what was
// skipped. Names are shown escaped and, when longer than any file name can be, shortened once.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../lib/cli/disk-image-create.js';
import { captureStdio } from '../../helpers/stdio.js';
import { hook, tempDir, writeTree } from '../../helpers/tree.js';

const isRoot = process.getuid?.() === 0;

let tmp: ReturnType<typeof tempDir>;
let io: ReturnType<typeof captureStdio>;
const unlock: (() => void)[] = [];

/** A folder nobody may write in, root included (root ignores modes, not the immutable flag). */
function unwritableFolder(path: string): string {
  mkdirSync(path, { recursive: true });
  if (isRoot) {
    execFileSync('chattr', ['+i', path]);
    unlock.push(() => execFileSync('chattr', ['-i', path]));
  } else {
    chmodSync(path, 0o555);
    unlock.push(() => chmodSync(path, 0o755));
  }
  return path;
}

beforeEach(() => {
  tmp = tempDir('kiln-bad-input-');
  writeTree(tmp.path, {
    'fl/os/flavour-provides': 'operating-system\n',
    'fl/os/root.d/10-os': hook(),
    'fl/app/flavour-deps': 'os\n',
    'fl/app/install.d/50-app': hook(),
    'fl/deps-folder/flavour-deps/x': 'os\n',
    'fl/deps-loop/README.md': 'its flavour-deps is a link to itself: unreadable, even for root\n',
    'fl/dangling/flavour-deps': 'os\n',
    'fl/dangling/install.d/50-real': hook(),
    'fl/env-folder/flavour-deps': 'os\n',
    'fl/env-folder/environment.d/10-vars/x': 'A=1\n',
    'fl/env-folder/environment.d/20-ok': 'B=2\n',
    'out/existing/keep': 'x',
    'out/taken.tar/keep': 'x',
  });
  symlinkSync('flavour-deps', join(tmp.path, 'fl/deps-loop/flavour-deps'));
  symlinkSync('/nonexistent/kiln-hook', join(tmp.path, 'fl/dangling/install.d/60-gone'));
  io = captureStdio();
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  for (const u of unlock.splice(0)) u();
  tmp.cleanup();
});

const base = (): string[] => ['--dry-run', '--flavours-path', join(tmp.path, 'fl'), '--image-cache', join(tmp.path, 'cache'), '-n'];
const out = (): string => join(tmp.path, 'out/img');
const long = 'f'.repeat(300);

/** Error rows: the arguments (after the common ones) and what the one line says. */
const ERRORS: { row: string; args: () => string[]; env?: Record<string, string>; line: RegExp }[] = [
  { row: '--image-size 99999999999999999999999T', args: () => ['--image-size', '99999999999999999999999T', '-o', out(), 'app'], line: /--image-size "99999999999999999999999T" is too large/ },
  { row: '--image-size 0.0000001', args: () => ['--image-size', '0.0000001', '-o', out(), 'app'], line: /--image-size "0\.0000001" is 107 bytes, less than 1 MiB/ },
  { row: 'DIB_JOURNAL_SIZE=abc', args: () => ['-o', out(), 'app'], env: { DIB_JOURNAL_SIZE: 'abc' }, line: /DIB_JOURNAL_SIZE "abc" is not a whole number of MiB/ },
  { row: 'an unwritable -o folder', args: () => ['-o', join(unwritableFolder(join(tmp.path, 'ro-out')), 'img'), 'app'], line: /may not write in .*ro-out/ },
  { row: 'an unwritable --logfile folder', args: () => ['--logfile', join(unwritableFolder(join(tmp.path, 'ro-log')), 'build.log'), '-o', out(), 'app'], line: /--logfile.*may not write in .*ro-log/ },
  { row: '--logfile naming a folder', args: () => ['--logfile', join(tmp.path, 'out'), '-o', out(), 'app'], line: /--logfile .*out is a folder/ },
  { row: "-o ''", args: () => ['-o', '', 'app'], line: /--output "" names a folder, not the outputs' base name/ },
  { row: '-o .', args: () => ['-o', '.', 'app'], line: /--output "\." names a folder/ },
  { row: '-o an existing folder', args: () => ['-o', join(tmp.path, 'out/existing'), 'app'], line: /--output .*existing is an existing folder/ },
  { row: 'an output path that is an existing folder', args: () => ['-t', 'tar', '-o', join(tmp.path, 'out/taken'), 'app'], line: /the output .*\/out\/taken\.tar is an existing folder/ },
  { row: 'a used flavour whose flavour-deps is a folder', args: () => ['-o', out(), 'deps-folder'], line: /flavour deps-folder: .*flavour-deps is a folder, not a file/ },
  { row: 'a used flavour whose flavour-deps cannot be read', args: () => ['-o', out(), 'os', 'deps-loop'], line: /flavour deps-loop: .*flavour-deps/ },
  { row: 'control characters in a flavour name', args: () => ['-o', out(), 'app', 'red\u001b[31m\u0007'], line: /flavour "red\\x1b\[31m\\x07" not found/ },
  { row: 'binary junk in a flavour name', args: () => ['-o', out(), 'app', Buffer.from([0x6a, 0xff, 0xfe, 0x6b]).toString('utf8')], line: /flavour "j\\ufffd\\ufffdk" not found/ },
  { row: 'a flavour name longer than 255 bytes', args: () => ['-o', out(), 'app', long], line: /flavour "f{40}… \(300 bytes\)" not found/ },
];

describe('bad input is exit 2 and one clear line', () => {
  it.each(ERRORS)('$row', async ({ args, env, line }) => {
    for (const [k, v] of Object.entries(env ?? {})) vi.stubEnv(k, v);
    const code = await main([...base(), ...args()]);
    expect(code, io.stderr).toBe(2);
    const lines = io.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^disk-image-create: /);
    expect(lines[0]).toMatch(line);
    expect(lines.slice(1).every((l) => l.startsWith('hint: ')), io.stderr).toBe(true);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(io.stderr).not.toMatch(/internal error|\n\s+at /);
    // eslint-disable-next-line no-control-regex
    expect(io.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/);
    expect(io.stderr).not.toContain(long);
  });
});

/** Warning rows: the build is planned, and the warning names what is skipped and why. */
const WARNINGS: { row: string; args: string[]; warning: RegExp }[] = [
  { row: 'an unused flavour whose flavour-deps is a folder', args: ['app'], warning: /^flavour deps-folder \(not used by this build\): .*flavour-deps is a folder, not a file$/ },
  { row: 'an unused flavour whose flavour-deps cannot be read', args: ['app'], warning: /^flavour deps-loop \(not used by this build\): .*flavour-deps/ },
  { row: 'a hook that is a dangling symlink', args: ['dangling'], warning: /^skipping .*install\.d\/60-gone \(flavour dangling, install\.d\): it is a symbolic link to something that does not exist$/ },
  { row: 'an environment.d entry that is a folder', args: ['env-folder'], warning: /^skipping .*environment\.d\/10-vars \(flavour env-folder, environment\.d\): it is a folder \(environment\.d holds files\)$/ },
];

describe('problems that do not stop a build are warnings', () => {
  it.each(WARNINGS)('$row', async ({ args, warning }) => {
    expect(await main([...base(), '--json', '-o', out(), ...args]), io.stderr).toBe(0);
    const plan = JSON.parse(io.stdout) as { warnings: string[] };
    expect(plan.warnings.some((w) => warning.test(w)), plan.warnings.join('\n')).toBe(true);
  });

  it('the text plan shows a flavour folder with control characters in its name escaped', async () => {
    const name = 'odd\u001b]0;pwned\u0007';
    writeTree(join(tmp.path, 'fl'), { [`${name}/flavour-deps`]: 'os\n' });
    expect(await main([...base(), '-o', out(), 'app', name]), io.stderr).toBe(0);
    expect(io.stdout).toContain('odd\\x1b]0;pwned\\x07');
    expect(io.stdout).not.toContain('\u001b');
  });
});
