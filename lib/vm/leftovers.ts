// What a --vm build killed outright leaves: its kiln-vm temp folder in TMPDIR (cleared like any
// kiln temp folder, the QEMU process found by the KILN_VM_FOLDER in its environment), and the
// folder inside the cache where the guest was copying new cache files to the host, named
// kiln-vm-import.<pid>.XXXXXX like every kiln temp folder. The next --vm build clears those of
// processes that are gone before it starts.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogSink } from '../log.js';
import { clearLeftovers, type Cleared } from '../resources/leftovers.js';

/** Folder of the cache that receives the build VM's new cache files. */
export const INCOMING_FOLDER = '.kiln-vm-incoming';

/** Removes the abandoned import folders of `cacheDir`; returns what was cleared. */
export function clearVmLeftovers(cacheDir: string, log?: LogSink): Promise<Cleared[]> {
  return clearLeftovers(join(cacheDir, INCOMING_FOLDER), log);
}

/** The folders where a host build clears what dead builds left: TMPDIR's temp folders, the cache's import folders. */
export function hostLeftoverFolders(cacheDir: string): string[] {
  return [tmpdir(), join(cacheDir, INCOMING_FOLDER)];
}
