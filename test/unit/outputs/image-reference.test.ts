import { describe, expect, it } from 'vitest';
import { thrown } from '../../helpers/errors.js';
import { UsageError } from '../../../lib/errors.js';
import { defaultImageReference, parseImageReference } from '../../../lib/outputs/image-reference.js';

const usageMessage = (fn: () => unknown): string => thrown(fn, UsageError).message;

describe('container image references (--docker-target)', () => {
  it('splits name and tag and adds Docker\'s implied registry and namespace', () => {
    expect(parseImageReference('kiln-builder:1.0')).toEqual({
      repository: 'kiln-builder', tag: '1.0', familiar: 'kiln-builder:1.0', canonical: 'docker.io/library/kiln-builder:1.0',
    });
    expect(parseImageReference('team/app').canonical).toBe('docker.io/team/app:latest');
    expect(parseImageReference('team/app').tag).toBe('latest');
  });

  it('reads a registry with a port as the registry, not as a tag', () => {
    const ref = parseImageReference('registry.example.com:5000/team/app');
    expect(ref).toMatchObject({ repository: 'registry.example.com:5000/team/app', tag: 'latest', canonical: 'registry.example.com:5000/team/app:latest' });
    expect(parseImageReference('localhost:5000/app:v2').tag).toBe('v2');
    expect(parseImageReference('localhost/app').canonical).toBe('localhost/app:latest');
  });

  it('refuses what docker would refuse, saying which part is wrong', () => {
    expect(usageMessage(() => parseImageReference('Kiln:1'))).toMatch(/invalid component "Kiln"/);
    expect(usageMessage(() => parseImageReference('app:-bad'))).toMatch(/tag "-bad" is not valid/);
    expect(usageMessage(() => parseImageReference('app:' + 'x'.repeat(129)))).toMatch(/tag/);
    expect(usageMessage(() => parseImageReference('a//b'))).toMatch(/invalid component ""/);
    expect(usageMessage(() => parseImageReference('app@sha256:abc'))).toMatch(/digest cannot be chosen/);
    expect(usageMessage(() => parseImageReference(':1'))).toMatch(/no image name/);
    expect(usageMessage(() => parseImageReference('bad_host.example.com:x:5/app'))).toMatch(/not a registry host name/);
  });

  it('defaults to the output base name with tag latest, or asks for --docker-target', () => {
    expect(defaultImageReference('/out/kiln-builder').familiar).toBe('kiln-builder:latest');
    expect(usageMessage(() => defaultImageReference('/out/My Image'))).toMatch(/"My Image" is not a valid container image name.*--docker-target/);
  });
});
