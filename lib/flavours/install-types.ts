// diskimage-builder's install types, planned: a flavour ships alternatives as
// install.d/<prefix>-<type>-install/NN-hook folders, and the build runs the hooks of one folder
// per prefix: the type DIB_INSTALLTYPE_<prefix> names (`-` written as `_`), else
// DIB_DEFAULT_INSTALLTYPE (default `source`, set by --install-type). DIB links the chosen hooks
// into install.d from an extra-data.d hook; kiln chooses them while planning, so the dry run
// shows them in run order and the layer keys cover them, and the engine links them into the
// hook tree. Only builds with the install-types flavour do this, as in DIB. Pure.
import type { DirEntryInfo } from './metadata.js';

/** One chosen folder's hooks. */
export interface InstallTypeChoice {
  flavour: string;
  folder: string;
  entries: DirEntryInfo[];
}

const FOLDER = /^(.+)-([^-]+)-install$/;

/** The install type chosen for `prefix`, with DIB's matching of variable names. */
export function installTypeFor(prefix: string, env: Record<string, string | undefined>): string {
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && name.startsWith('DIB_INSTALLTYPE_') && name.slice('DIB_INSTALLTYPE_'.length).replace(/_/g, '-') === prefix) return value;
  }
  return env.DIB_DEFAULT_INSTALLTYPE || 'source';
}

/** The chosen install-type folders of every flavour, in flavour order. */
export function chooseInstallTypes(
  flavours: readonly { name: string; installTypeFolders: ReadonlyMap<string, DirEntryInfo[]> }[],
  env: Record<string, string | undefined>,
): InstallTypeChoice[] {
  const choices: InstallTypeChoice[] = [];
  for (const flavour of flavours) {
    for (const [folder, entries] of flavour.installTypeFolders) {
      const match = FOLDER.exec(folder);
      if (match && installTypeFor(match[1]!, env) === match[2]) choices.push({ flavour: flavour.name, folder, entries });
    }
  }
  return choices;
}
