// binary-deps: the programs a flavour needs inside the ramdisk. Each flavour lists them in a
// `binary-deps` file or in `binary-deps.d/*` files, separated by spaces or newlines (`#` starts
// a comment). An entry is a program name, looked up on the image's PATH, or an absolute path
// (wildcards allowed) of any file to copy, such as a plugin a program loads at run time. Every
// entry must exist in the image root; all missing ones are reported at once, each with the
// flavour and the file that lists it.
import { ConfigError } from '../errors.js';
import { expandGlob } from './ld-conf.js';
import { findProgram, resolveInRoot, ROOT_PATH_DIRS, type RootView } from './root-view.js';

/** One binary-deps file of a flavour, read. */
export interface BinaryDepsFile {
  flavour: string;
  /** The file's path (for messages). */
  path: string;
  text: string;
}

/** One entry that is not in the image root. */
export interface MissingBinaryDep {
  flavour: string;
  file: string;
  entry: string;
}

/** The entries of a binary-deps file, in order (pure). */
export function parseBinaryDeps(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .flatMap((line) => line.split(/\s+/))
    .filter((word) => word.length > 0);
}

/** Paths inside the root an entry stands for; empty when it is not there. */
function resolveEntry(view: RootView, entry: string): string[] {
  if (!entry.startsWith('/')) {
    const program = findProgram(view, entry);
    return program ? [program] : [];
  }
  const paths = /[*?]/.test(entry) ? expandGlob(view, entry) : [entry];
  return paths.filter((p) => resolveInRoot(view, p)?.stat.kind === 'file');
}

/** Every path the files ask for (first mention first), or the entries that are missing. */
export function resolveBinaryDeps(view: RootView, files: readonly BinaryDepsFile[]): { paths: string[]; missing: MissingBinaryDep[] } {
  const paths: string[] = [];
  const missing: MissingBinaryDep[] = [];
  for (const file of files) {
    for (const entry of parseBinaryDeps(file.text)) {
      const found = resolveEntry(view, entry);
      if (!found.length) missing.push({ flavour: file.flavour, file: file.path, entry });
      for (const path of found) if (!paths.includes(path)) paths.push(path);
    }
  }
  return { paths, missing };
}

/** Programs listed in binary-deps that the image root does not have. */
export class MissingBinaryDepsError extends ConfigError {
  readonly missing: MissingBinaryDep[];

  constructor(missing: MissingBinaryDep[]) {
    const first = missing[0]!;
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more, below)` : '';
    super(
      `flavour ${first.flavour} lists "${first.entry}" in ${first.file}, but the image root has no such program${more}`,
      undefined,
      'install the package that provides it in the image (for example in the flavour\'s package-installs.yaml), or remove the entry',
    );
    this.missing = missing;
  }

  override details(): string[] {
    return [
      `searched the image's ${ROOT_PATH_DIRS.join(':')} for names; absolute paths must exist as files`,
      ...this.missing.map((m) => `  flavour ${m.flavour}: "${m.entry}" (${m.file})`),
    ];
  }
}
