// Checks made before anything touches the host: kiln can become root where it must, and every
// host tool the plan needs is installed (all missing ones reported at once, with packages).
import { KilnError } from '../errors.js';
import { isRoot, run } from '../exec/run.js';
import { systemPath } from '../exec/privileged.js';
import type { LogSink } from '../log.js';
import type { ResolvedBuild } from '../plan/resolved-build.js';
import { checkTools } from '../exec/host-tools.js';

/** Fails early, with a hint, when kiln can neither be root nor use its sudo rules. */
export async function checkPrivilege(log: LogSink): Promise<void> {
  if (isRoot()) return;
  const probe = await run(['sudo', '-n', '-l', systemPath('chroot')], { log, allowFailure: true });
  if (probe.exitCode !== 0) {
    throw new KilnError('kiln needs root for mounts, loop devices and chroot, and `sudo -n` is not allowed for this user', {
      exitCode: 2,
      hint: 'run as root, or install sudoers.d/kiln (see README "Running without root") and add yourself to group kiln',
    });
  }
}

/** All checks, in order. */
export async function preflight(plan: ResolvedBuild, log: LogSink): Promise<void> {
  checkTools(plan.tools);
  await checkPrivilege(log);
}
