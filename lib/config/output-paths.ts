// Where a build writes, checked before anything runs (in a dry run too): -o must name files, not
// a folder ('', '.', 'dir/', an existing folder); no output may land where a folder is; the
// folder of the outputs and of --logfile must be one kiln can write. Each problem is one exit-2
// line. Paths are resolved once here (safe-path.ts) and used as resolved everywhere after.
import { accessSync, constants, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { lexists, resolveHostPath, resolveParent } from '../resources/safe-path.js';
import type { FieldContext } from './field-spec.js';

/** Longest file name Linux takes (NAME_MAX), in bytes. */
const NAME_MAX = 255;

/** -o: an output base name, resolved; refuses names that are folders. */
export function parseOutputName(raw: string, where: string, ctx: FieldContext): string {
  const name = basename(raw);
  if (raw.trim() === '' || raw.endsWith('/') || name === '.' || name === '..') {
    throw new UsageError(`${where} ${JSON.stringify(raw)} names a folder, not the outputs' base name`, `give a base name for the files, e.g. ${where} image or ${where} out/image`);
  }
  const path = resolveParent(raw, ctx.cwd);
  if (isFolder(path)) throw new UsageError(`${where} ${raw} is an existing folder`, `give a base name for the files inside it, e.g. ${where} ${raw.replace(/\/+$/, '')}/image`);
  checkNameLength(basename(path), where);
  checkWritableFolder(dirname(path), `${where} ${raw}`);
  return path;
}

/** --logfile: a file kiln can create or append to, never a folder. */
export function parseLogFile(raw: string, where: string, ctx: FieldContext): string {
  if (raw.trim() === '') throw new UsageError(`${where} is empty`, `give ${where} a file name, or leave it out`);
  const path = resolveParent(raw, ctx.cwd);
  if (isFolder(path) || raw.endsWith('/')) throw new UsageError(`${where} ${raw} is a folder`, `give a file name, e.g. ${where} ${raw.replace(/\/+$/, '')}/build.log`);
  checkNameLength(basename(path), where);
  checkWritableFolder(dirname(path), `${where} ${raw}`);
  return path;
}

/** Every output file of a build (NAME.EXT) must not be an existing folder, unless it is a folder output. */
export function checkOutputFiles(outputs: readonly { path: string; folder: boolean }[], where: string): void {
  for (const output of outputs) {
    if (!output.folder && isFolder(output.path)) {
      throw new UsageError(`the output ${output.path} is an existing folder`, `move or remove it, or choose another ${where}`);
    }
    checkNameLength(basename(output.path), where);
  }
}

/** A file name over 255 bytes cannot be created: said once, shortened. */
function checkNameLength(name: string, where: string): void {
  const bytes = Buffer.byteLength(name);
  if (bytes > NAME_MAX) {
    throw new UsageError(`${where}: the file name ${shorten(name)} is ${bytes} bytes long; Linux allows ${NAME_MAX}`, 'choose a shorter name');
  }
}

/** A long name for messages: its start and end, with what was left out counted. */
function shorten(text: string, keep = 60): string {
  const chars = [...text];
  if (chars.length <= keep) return JSON.stringify(text);
  const head = chars.slice(0, keep / 2).join('');
  const tail = chars.slice(-keep / 4).join('');
  return `${JSON.stringify(head)}…(${chars.length - keep / 2 - keep / 4} more characters)…${JSON.stringify(tail)}`;
}

/** The folder (or, when it is still to be made, its nearest existing parent) must be a folder kiln may write in. */
function checkWritableFolder(folder: string, what: string): void {
  let existing = resolveHostPath(folder);
  while (!lexists(existing)) existing = dirname(existing);
  if (!isFolder(existing)) throw new UsageError(`${what}: ${existing} is a file, not a folder`, 'choose a path inside a folder');
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${what}: this user may not write in ${existing}`, 'choose a folder you can write in, or fix its permissions');
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
