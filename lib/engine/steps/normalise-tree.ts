// Step: the finished tree made reproducible, right before outputs are written from it: the
// normalisation rules (lib/reproducible/normalise.ts) applied, every time later than
// SOURCE_DATE_EPOCH clamped, and build-time SSH host keys reported. find runs as root in the
// tree (cwd), so paths never leave it and symbolic links are never followed.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../exec/run.js';
import { cleanFindArgs, NORMALISE_RULES } from '../../reproducible/normalise.js';
import { clampTimes } from '../../reproducible/clamp.js';
import type { BuildContext } from '../context.js';
import { timed } from './timed.js';

/** SSH host keys present in the tree (`ssh_host_ed25519_key`, ...). */
function hostKeysIn(root: string): string[] {
  try {
    return readdirSync(join(root, 'etc/ssh')).filter((n) => /^ssh_host_.*_key$/.test(n)).sort();
  } catch {
    return [];
  }
}

/** Cleans and clamps the tree at `root`. */
export async function normaliseTree(ctx: BuildContext, root: string): Promise<void> {
  const { epoch } = ctx.plan.sourceDate;
  await timed(ctx, 'normalise the tree', async () => {
    await run(cleanFindArgs(NORMALISE_RULES), { privileged: true, cwd: root, log: ctx.log, signal: ctx.signal, what: `cleaning ${root}` });
    await clampTimes(root, epoch, { log: ctx.log, signal: ctx.signal });
  });
  const keys = hostKeysIn(root);
  if (keys.length) {
    ctx.emit({
      type: 'warning',
      message: `the image holds SSH host keys made during the build (${keys.join(', ')}): every machine started from it shares them, `
        + 'and two builds differ; add the runtime-ssh-host-keys flavour to make them at first boot',
    });
  }
}
