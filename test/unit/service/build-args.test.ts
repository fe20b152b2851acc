// The command line a job becomes.
import { describe, expect, it } from 'vitest';
import { buildCommand } from '../../../lib/service/build-args.js';
import { normaliseSubmission } from '../../../lib/service/submission.js';

describe('buildCommand', () => {
  it('is the disk-image-create command line a person would type', () => {
    const job = normaliseSubmission({ name: 'web', flavours: ['debian', 'vm'], types: ['qcow2', 'tar'], release: 'bookworm', packages: ['curl'], skipBase: true, environment: { DIB_HOSTNAME: 'web' } }, { email: 'a' });
    const command = buildCommand(job, { outputBase: '/w/out/web', logFile: '/w/web.log', imageCache: '/c', flavoursPath: '/up:/srv/fl', useVm: false, kilnOpts: ['--checksum'] });
    expect(command.script).toMatch(/bin\/disk-image-create$/);
    expect(command.args).toEqual([
      '-o', '/w/out/web', '--logfile', '/w/web.log', '-t', 'qcow2,tar', '-a', 'amd64', '--image-cache', '/c',
      '--flavours-path', '/up:/srv/fl', '-n', '-p', 'curl', '--progress-fd', '1', '--checksum', '--', 'debian', 'vm',
    ]);
    expect(command.env).toEqual({ DIB_HOSTNAME: 'web', DIB_RELEASE: 'bookworm' });
  });

  it('passes --vm through when the service builds in VMs', () => {
    const job = normaliseSubmission({ name: 'w', flavours: ['debian'] }, { email: 'a' });
    expect(buildCommand(job, { outputBase: 'o', logFile: 'l', imageCache: 'c', flavoursPath: undefined, useVm: true, kilnOpts: [] }).args).toContain('--vm');
  });
});
