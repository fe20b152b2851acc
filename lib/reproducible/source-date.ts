// SOURCE_DATE_EPOCH (reproducible-builds.org): the one time a build may put into its outputs.
// Given by the user (--source-date-epoch or the SOURCE_DATE_EPOCH variable, read by the option
// table), or else the time of
// the newest input, as the specification recommends: for a flavour folder tracked by git, the
// time of the last commit that touched it (the `git log -1 --pretty=%ct` recipe, so every clone
// of one commit agrees; uncommitted edits do not move it), for any other input the newest
// modification time of its files. File times clamp to it, tools that stamp times use it.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../exec/run.js';

/** The build's SOURCE_DATE_EPOCH and where it comes from. */
export interface SourceDate {
  /** Seconds since 1970-01-01 UTC. */
  epoch: number;
  /** For the plan and the manifest: `SOURCE_DATE_EPOCH`, `--source-date-epoch`, or `newest input: ...`. */
  origin: string;
  /** Given by the user (then it is part of the layer cache keys), rather than derived. */
  explicit: boolean;
}

/** ISO form of an epoch for messages (`2023-11-14T22:13:20Z`). */
export function isoDate(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
}

/** One input and its time. */
export interface InputTime {
  /** What it is (`flavour debian`, a host file). */
  name: string;
  epoch: number;
  /** `last git commit` or `newest file`. */
  how: string;
}

/** The newest of `inputs` as a SourceDate; an empty list gives 0 (the epoch itself). */
export function newestOf(inputs: readonly InputTime[]): SourceDate {
  const sorted = [...inputs].sort((a, b) => b.epoch - a.epoch || (a.name < b.name ? -1 : 1));
  const newest = sorted[0];
  if (!newest) return { epoch: 0, origin: 'newest input: none found, 1970-01-01T00:00:00Z', explicit: false };
  return { epoch: newest.epoch, origin: `newest input: ${newest.name} (${newest.how}, ${isoDate(newest.epoch)})`, explicit: false };
}

/** Newest modification time (whole seconds) of `path` and everything below it; .git is skipped. */
function newestMtime(path: string): number {
  let newest = 0;
  const visit = (p: string): void => {
    let stat;
    try {
      stat = lstatSync(p);
    } catch {
      return;
    }
    newest = Math.max(newest, Math.floor(stat.mtimeMs / 1000));
    if (!stat.isDirectory()) return;
    let names: string[] = [];
    try {
      names = readdirSync(p);
    } catch {
      return;
    }
    for (const name of names) if (name !== '.git') visit(join(p, name));
  };
  visit(path);
  return newest;
}

/** Time of the last git commit that touched `folder`, or undefined outside git, when untracked, or
 * where git is not installed (kiln's builder container has none). */
async function lastCommitTime(folder: string): Promise<number | undefined> {
  let result;
  try {
    result = await run(['git', '-C', folder, 'log', '-1', '--format=%ct', '--', '.'], { allowFailure: true });
  } catch {
    return undefined;
  }
  const text = result.exitCode === 0 ? result.stdout.trim() : '';
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** The time of one flavour folder: its last commit when tracked, else its newest file. */
export async function folderTime(name: string, folder: string, git = true): Promise<InputTime> {
  const committed = git ? await lastCommitTime(folder) : undefined;
  if (committed !== undefined) return { name, epoch: committed, how: 'last git commit' };
  return { name, epoch: newestMtime(folder), how: 'newest file' };
}

/** The newest input of a build: its flavour folders and the host files its hooks declare reading. */
export async function newestInput(flavours: readonly { name: string; path: string }[], hostFiles: readonly string[],
  options: { git?: boolean } = {}): Promise<SourceDate> {
  const git = options.git ?? true;
  const times = await Promise.all(flavours.map((f) => folderTime(`flavour ${f.name}`, f.path, git)));
  for (const file of hostFiles) times.push({ name: file, epoch: newestMtime(file), how: 'modification time' });
  return newestOf(times);
}
