// The Containerfile makes the same image as kiln's own `debian kiln-container` build: the same
// Debian packages as the two flavours' package-installs.yaml and the image config of
// kiln-container's container-config.yaml. (The image kiln builds is the tested one; this keeps
// the hand-written file from drifting away from it.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseContainerConfig } from '../../lib/flavours/container-config.js';
import { repo } from '../helpers/host.js';

const containerfile = readFileSync(join(repo, 'Containerfile'), 'utf8');
const flavour = (name: string, file: string): string => readFileSync(join(repo, 'flavours', name, file), 'utf8');

describe('Containerfile', () => {
  it('installs exactly the packages of kiln-builder and kiln-container', () => {
    const block = /# packages:begin\n([\s\S]*?)# packages:end/.exec(containerfile)![1]!;
    const installed = block.split('--no-install-recommends')[1]!.split('&&')[0]!.split(/[\s\\]+/).filter(Boolean);
    const listed = ['kiln-builder', 'kiln-container'].flatMap((f) => Object.keys(parse(flavour(f, 'package-installs.yaml')) as object));
    expect([...installed].sort()).toEqual([...new Set(listed)].sort());
  });

  it('has kiln-container\'s image config', () => {
    const { config } = parseContainerConfig('kiln-container', 'container-config.yaml', flavour('kiln-container', 'container-config.yaml'));
    expect(containerfile).toContain(`WORKDIR ${config.workingDir!}`);
    expect(containerfile).toContain(`VOLUME ${JSON.stringify(config.volumes).replace(/,/g, ', ')}`);
    expect(containerfile).toContain(`CMD ${JSON.stringify(config.cmd).replace(/,/g, ', ')}`);
    for (const [name, value] of Object.entries(config.env)) expect(containerfile).toMatch(new RegExp(`\\b${name}=${value}\\b`));
    for (const [name, value] of Object.entries(config.labels)) expect(containerfile).toContain(`${name}="${value.replace(/\$/g, '\\$')}"`);
  });
});
