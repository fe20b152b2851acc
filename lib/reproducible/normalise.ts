// What kiln removes or resets in every finished image tree so that two builds from the same
// inputs give the same files: state that records when or on which machine the build ran
// (logs, caches keyed by inode and time, identities generated at install time), then every
// modification time later than SOURCE_DATE_EPOCH clamped to it. The rules are data: the README
// table and the find(1) expression that applies them come from this one list. Pure.

/** One thing the normalisation removes or empties. */
export interface NormaliseRule {
  /** Path below the image root, `*` matching within one name (find -path). */
  path: string;
  /** `remove` deletes the file; `empty` truncates it, keeping owner and mode; `remove-folder` deletes an empty folder. */
  action: 'remove' | 'empty' | 'remove-folder';
  /** Why it differs between builds (README). */
  why: string;
}

/** The rules, in README order. */
export const NORMALISE_RULES: readonly NormaliseRule[] = [
  { path: 'etc/machine-id', action: 'empty', why: 'the machine identity; empty means "not booted yet" (machine-id(5)), so systemd makes one at first boot' },
  { path: 'var/lib/dbus/machine-id', action: 'remove', why: 'D-Bus copy of the machine identity (dbus links it to /etc/machine-id at boot)' },
  { path: 'var/lib/systemd/random-seed', action: 'remove', why: 'entropy saved by systemd-random-seed; never share it between machines' },
  { path: 'var/lib/systemd/credential.secret', action: 'remove', why: 'per-machine key of systemd credentials' },
  { path: 'var/cache/ldconfig/aux-cache', action: 'remove', why: "ldconfig's cache of inode numbers and change times (ld.so.cache itself is sorted and kept)" },
  { path: 'var/log/dpkg.log', action: 'remove', why: 'dated install log (the manifest lists the packages)' },
  { path: 'var/log/alternatives.log', action: 'remove', why: 'dated update-alternatives log' },
  { path: 'var/log/bootstrap.log', action: 'remove', why: 'dated debootstrap log' },
  { path: 'var/log/apt/history.log', action: 'remove', why: 'dated apt log' },
  { path: 'var/log/apt/term.log', action: 'remove', why: 'dated apt terminal log' },
  { path: 'var/log/apt/eipp.log.xz', action: 'remove', why: "apt's dated solver dump" },
  { path: 'var/cache/debconf/*.dat-old', action: 'remove', why: 'previous debconf databases' },
  { path: 'var/cache/apt/*.bin', action: 'remove', why: "apt's binary package caches, rebuilt on the next apt run" },
  { path: 'var/lib/apt/lists/*_*', action: 'remove', why: 'package indexes fetched during the build (dated, and 60 MB)' },
  { path: 'var/cache/man/*', action: 'remove', why: 'man-db index with time stamps, rebuilt daily by man-db.timer' },
  { path: 'var/lib/kiln/*', action: 'remove', why: "kiln's own notes from the build (the repositories apt installed from, for the manifest)" },
  { path: 'var/lib/kiln', action: 'remove-folder', why: 'their folder, once empty' },
];

/**
 * find(1) arguments that apply the rules below `.` (find runs in the image root). `-xdev` is not used: on a disk image the filesystems mounted below the root are all the image's.
 */
export function cleanFindArgs(rules: readonly NormaliseRule[]): string[] {
  const clause = (action: NormaliseRule['action']): string[] =>
    ['(', ...rules.filter((r) => r.action === action).flatMap((r) => ['-o', '-path', `./${r.path}`]).slice(1), ')'];
  return [
    'find', '.',
    ...clause('remove'), '-type', 'f', '-delete', '-o',
    ...clause('empty'), '-type', 'f', '-size', '+0', '-exec', 'truncate', '--size=0', '{}', '+', '-o',
    // find -delete implies -depth: a folder is visited after its entries, so it is empty by then.
    ...clause('remove-folder'), '-type', 'd', '-empty', '-delete',
  ];
}

/**
 * find(1) arguments that clamp every modification time later than `epoch` to it (symbolic links
 * themselves, never their targets). Run after the cleaning, which changes folder times.
 */
export function clampFindArgs(epoch: number): string[] {
  return ['find', '.', '-newermt', `@${epoch}`, '-exec', 'touch', '--no-dereference', `--date=@${epoch}`, '{}', '+'];
}

/** The README table of the rules. */
export function normaliseTableMarkdown(rules: readonly NormaliseRule[] = NORMALISE_RULES): string {
  const verb = { remove: 'removed', empty: 'emptied', 'remove-folder': 'removed' } as const;
  const rows = rules.map((r) => `| \`/${r.path}\` | ${verb[r.action]} | ${r.why} |`);
  return ['| path | what kiln does | why it differs between builds |', '| --- | --- | --- |', ...rows].join('\n');
}
