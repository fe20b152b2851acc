// Builds never run as the web process: kiln-server running as root builds as its build_user, an
// ordinary member of the kiln group who has only the sudoers.d/kiln rule.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, hostState, isRoot } from '../helpers/host.js';
import { addKilnMember } from '../helpers/kiln-member.js';
import { startServer, stopStarted, waitForJob } from '../helpers/service.js';

const USER = 'kilnsvc';

describe.skipIf(!isRoot)('kiln-server builds as its build user (e2e)', () => {
  let dir: string;
  let removeMember: () => void = () => undefined;

  beforeAll(() => {
    removeMember = addKilnMember(USER);
    dir = mkdtempSync(join(tmpdir(), 'kiln-e2e-builduser-'));
    chmodSync(dir, 0o755);
    // The build user writes its temp folders and its cache; the server keeps the rest.
    mkdirSync(join(dir, 'tmp'), { mode: 0o1777 });
    chmodSync(join(dir, 'tmp'), 0o1777);
    mkdirSync(join(dir, 'cache'));
    const uid = Number(execFileSync('id', ['-u', USER]).toString());
    chownSync(join(dir, 'cache'), uid, Number(execFileSync('id', ['-g', USER]).toString()));
  });
  afterAll(async () => {
    await stopStarted();
    removeMember();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the build as the build user and publishes its files', async () => {
    const before = hostState();
    const server = await startServer(
      ['--state-dir', join(dir, 'state'), '--build-user', USER, '--flavours-path', fixtures, '--image-cache', join(dir, 'cache')],
      { TMPDIR: join(dir, 'tmp') },
    );
    try {
      const job = await server.client.submit({ name: 'as-user', flavours: ['fake-os'], types: ['tar'], skipBase: true });
      const done = await waitForJob(server.client, job.id, ['DONE', 'ERROR'], 300_000);
      expect(done.error).toBe('');
      const tarball = join(dir, 'state/images', job.id, 'as-user.tar');
      expect(execFileSync('stat', ['-c', '%U', tarball]).toString().trim()).toBe(USER);
      expect(statSync(tarball).size).toBe(done.files[0]!.bytes);
      expect(await (await fetch(done.logUrl)).text()).toContain('sudo -n');
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(hostState()).toEqual(before);
  });
});
