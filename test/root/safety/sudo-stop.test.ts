// In sudo mode (kiln run by an ordinary member of group kiln), stopping a command stops everything
// it started as root behind sudo. The user may signal sudo, which passes the signal to its child
// only: without `sudo kill` on the whole group, the child's own children (a hook's background
// job inside the chroot) would be left running as root.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, repo } from '../../helpers/host.js';
import { addKilnMember } from '../../helpers/kiln-member.js';

const USER = 'kilnstop';
/** Unusual sleep lengths, so the test finds only its own processes. */
const MARKS = ['31337', '31338'];

/** How many of the test's sleeps are running (as any user). */
function sleepsRunning(): number {
  return MARKS.reduce((n, mark) => n + (spawnSync('pgrep', ['-fx', `sleep ${mark}`]).stdout.toString().trim().split('\n').filter(Boolean).length), 0);
}

describe.skipIf(!isRoot)('stopping a privileged command in sudo mode (root)', () => {
  let removeMember: () => void = () => undefined;

  beforeAll(() => {
    removeMember = addKilnMember(USER);
  });
  afterAll(() => {
    for (const mark of MARKS) spawnSync('pkill', ['-KILL', '-fx', `sleep ${mark}`]);
    removeMember();
  });

  it('aborting it stops its root grandchildren too, not only sudo', () => {
    // The user's kiln runs a chroot "hook" that starts a background job, and is stopped once both
    // sleeps run (as root, behind sudo).
    const script = `
      import { execFileSync } from 'node:child_process';
      import { run } from ${JSON.stringify(join(repo, 'dist/exec/run.js'))};
      const running = () => { try { return execFileSync('pgrep', ['-f', '^sleep 3133[78]$']).toString().trim().split('\\n').length; } catch { return 0; } };
      const stop = new AbortController();
      const poll = setInterval(() => { if (running() === 2) { console.log('running 2 as root'); clearInterval(poll); stop.abort(); } }, 100);
      try {
        await run(['chroot', '/', '/bin/sh', '-c', 'sleep ${MARKS[0]} & sleep ${MARKS[1]}; wait'], { privileged: true, signal: stop.signal, allowFailure: true, killAfterMs: 60000 });
      } catch {}
      clearInterval(poll);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      console.log('left ' + running());
    `;
    const result = spawnSync('runuser', ['-u', USER, '--', process.execPath, '--input-type=module', '-e', script], { cwd: '/', timeout: 60_000, encoding: 'utf8' });
    expect(result.stdout, result.stderr).toContain('running 2 as root');
    expect(result.stdout, result.stderr).toContain('left 0');
    expect(sleepsRunning()).toBe(0);
  });
});
