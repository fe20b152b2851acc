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
      '-o', '/w/out/web', '--logfile', '/w/web.log', '--image-cache', '/c', '--flavours-path', '/up:/srv/fl', '--progress-fd', '1', '--checksum',
      '-t', 'qcow2,tar', '-a', 'amd64', '-n', '-p', 'curl', '--', 'debian', 'vm',
    ]);
    expect(command.env).toEqual({ DIB_HOSTNAME: 'web', DIB_RELEASE: 'bookworm' });
  });

  it('runs a spec job with --spec and the service options only', () => {
    const job = normaliseSubmission({ name: 'web', spec: { flavours: ['debian'], types: ['tar'] }, arch: 'arm64' }, { email: 'a' });
    const command = buildCommand(job, { outputBase: 'o', logFile: 'l', imageCache: 'c', flavoursPath: undefined, useVm: false, kilnOpts: [], specArgument: '/w/spec.json' });
    expect(command.args).toEqual(['--spec', '/w/spec.json', '-o', 'o', '--logfile', 'l', '--image-cache', 'c', '--progress-fd', '1']);
    expect(job.spec).toEqual({ flavours: ['debian'], types: ['tar'], arch: 'arm64' });
  });

  it('passes --vm through when the service builds in VMs', () => {
    const job = normaliseSubmission({ name: 'w', flavours: ['debian'] }, { email: 'a' });
    expect(buildCommand(job, { outputBase: 'o', logFile: 'l', imageCache: 'c', flavoursPath: undefined, useVm: true, kilnOpts: [] }).args).toContain('--vm');
  });
});
