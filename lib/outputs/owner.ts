// Who output files belong to. kiln started as `sudo kiln ...` runs as root but the outputs are
// the invoking user's (SUDO_UID/SUDO_GID), as DIB chowns its tarball; kiln started by a user
// writes its outputs itself, except where a privileged tool (mksquashfs) creates the file.
import { chown } from 'node:fs/promises';
import { isRoot, run } from '../exec/run.js';
import type { LogSink } from '../log.js';

/** A numeric owner. */
export interface Owner {
  uid: number;
  gid: number;
}

/** The user outputs should belong to, or undefined when they stay with whoever created them (pure). */
export function outputOwner(env: Record<string, string | undefined>, uid: number | undefined, gid: number | undefined): Owner | undefined {
  if (uid === 0) {
    const sudoUid = Number(env.SUDO_UID);
    const sudoGid = Number(env.SUDO_GID);
    // `sudo -u root kiln` from root, or a malformed value: keep root.
    if (!Number.isInteger(sudoUid) || !Number.isInteger(sudoGid) || env.SUDO_UID === undefined || sudoUid === 0) return undefined;
    return { uid: sudoUid, gid: sudoGid };
  }
  if (uid === undefined || gid === undefined) return undefined;
  return { uid, gid };
}

/** The owner for this process. */
export function currentOutputOwner(): Owner | undefined {
  return outputOwner(process.env, process.getuid?.(), process.getgid?.());
}

/**
 * Gives `path` to the output owner. `createdByRoot` says a privileged tool made the file: then a
 * non-root kiln needs `sudo chown`; files kiln wrote itself already belong to it.
 */
export async function handOver(path: string, createdByRoot: boolean, log?: LogSink): Promise<void> {
  const owner = currentOutputOwner();
  if (!owner) return;
  if (isRoot()) {
    await chown(path, owner.uid, owner.gid);
  } else if (createdByRoot) {
    await run(['chown', `${owner.uid}:${owner.gid}`, path], { privileged: true, log, what: `handing ${path} to uid ${owner.uid}` });
  }
}
