// Submissions: defaults, IMG's field names, and the checks the JSON schema cannot make.
import { describe, expect, it } from 'vitest';
import { FieldError, normaliseSubmission } from '../../../lib/service/submission.js';

const defaults = { email: 'alice' };

function fieldOf(body: Parameters<typeof normaliseSubmission>[0]): string {
  try {
    normaliseSubmission(body, defaults);
  } catch (error) {
    if (error instanceof FieldError) return error.field;
    throw error;
  }
  return 'no error';
}

describe('normaliseSubmission', () => {
  it('fills in the defaults', () => {
    const job = normaliseSubmission({ name: 'web', flavours: ['debian', 'vm'] }, defaults);
    expect(job).toMatchObject({ name: 'web', email: 'alice', arch: 'amd64', release: '', types: ['qcow2'], flavours: ['debian', 'vm'], packages: [], skipBase: false, environment: {} });
    expect(job.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("takes IMG's names: imagetype, a flavour string, x86_64 and ksfile", () => {
    const job = normaliseSubmission({ name: 'w', imagetype: 'raw,tar', flavours: 'debian, vm  demo', arch: 'x86_64', ksfile: '{"flavours":["debian"]}' }, defaults);
    expect(job.types).toEqual(['raw', 'tar']);
    expect(job.flavours).toEqual(['debian', 'vm', 'demo']);
    expect(job.arch).toBe('amd64');
    expect(job.spec).toEqual({ flavours: ['debian', 'vm', 'demo'], types: ['raw', 'tar'], arch: 'amd64' });
  });

  it('names the field of each problem', () => {
    expect(fieldOf({ name: 'w' })).toBe('flavours');
    expect(fieldOf({ name: 'w', flavours: '../etc' })).toBe('flavours[0]');
    expect(fieldOf({ name: 'w', flavours: ['debian'], types: ['qcow3'] })).toBe('types');
    expect(fieldOf({ name: 'w', flavours: ['debian'], imagetype: 'zip' })).toBe('imagetype');
    expect(fieldOf({ name: 'w', flavours: ['debian'], arch: 'vax' })).toBe('arch');
    expect(fieldOf({ name: 'w', ksfile: 'not json' })).toBe('ksfile');
  });

  it('refuses variables that point at host files', () => {
    expect(fieldOf({ name: 'w', flavours: ['debian'], environment: { DIB_LOCAL_IMAGE: '/etc/shadow' } })).toBe('environment.DIB_LOCAL_IMAGE');
    expect(fieldOf({ name: 'w', flavours: ['debian'], environment: { DIB_BLOCK_DEVICE_CONFIG: 'file:///etc/passwd' } })).toBe('environment.DIB_BLOCK_DEVICE_CONFIG');
    expect(fieldOf({ name: 'w', flavours: ['debian'], environment: { DIB_RELEASE: 'trixie' } })).toBe('no error');
  });
});

describe('jobs that carry a build spec', () => {
  it('merges the submission fields into the spec, as a command line would', () => {
    const job = normaliseSubmission({ name: 'w', spec: { flavours: ['debian', 'vm'], types: ['qcow2'], environment: { DIB_HOSTNAME: 'w' } }, imagetype: 'tar', release: 'trixie' }, defaults);
    expect(job.spec).toEqual({ flavours: ['debian', 'vm'], types: ['tar'], environment: { DIB_HOSTNAME: 'w', DIB_RELEASE: 'trixie' } });
    expect([job.flavours, job.types, job.release, job.environment]).toEqual([['debian', 'vm'], ['tar'], 'trixie', {}]);
  });

  it('names the JSON path of a spec problem, and refuses what the service decides', () => {
    expect(fieldOf({ name: 'w', spec: { flavours: ['debian'], typo: 1 } })).toBe('spec.typo');
    expect(fieldOf({ name: 'w', spec: { flavours: ['debian'], repos: [{ name: 'r' }] } })).toBe('spec.repos[0].uri');
    expect(fieldOf({ name: 'w', spec: { flavours: ['debian'], imageCache: '/' } })).toBe('spec.imageCache');
    expect(fieldOf({ name: 'w', spec: { flavours: ['debian'], output: '/etc/x' } })).toBe('spec.output');
    expect(fieldOf({ name: 'w', spec: { flavours: ['debian'], environment: { LD_PRELOAD: '/x.so' } } })).toBe('spec.environment.LD_PRELOAD');
    expect(fieldOf({ name: 'w', spec: { flavours: ['debian'], environment: { DIB_LOCAL_IMAGE: '/x' } } })).toBe('spec.environment.DIB_LOCAL_IMAGE');
    expect(fieldOf({ name: 'w', spec: { flavours: ['debian'], blockDevice: 'file:///etc/bd.yaml' } })).toBe('spec.blockDevice');
    expect(fieldOf({ name: 'w', spec: { kind: 'ramdisk', flavours: ['debian', 'deploy'] } })).toBe('spec.kind');
    expect(fieldOf({ name: 'w', spec: { flavours: ['debian'], output: 'web', checksum: true } })).toBe('no error');
  });
});
