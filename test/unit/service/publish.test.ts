// What each published file of a job is (the API's `kind`, the job page's labels and sections),
// and the order the downloads are listed in.
import { describe, expect, it } from 'vitest';
import { fileKind, sortFiles } from '../../../lib/service/publish.js';

describe('published files', () => {
  const kinds = (names: string[]): [string, string][] => names.map((n) => [n, fileKind(n, 'web', ['qcow2', 'tar'])]);

  it('tells the images asked for, the log, the manifest and the SBOMs apart', () => {
    expect(kinds(['web.qcow2', 'web.tar', 'web.log', 'web.manifest.json', 'web.spdx.json', 'web.cdx.json', 'web.qcow2.sha256', 'web.raw', 'other.manifest.json'])).toEqual([
      ['web.qcow2', 'image'], ['web.tar', 'image'], ['web.log', 'log'], ['web.manifest.json', 'manifest'], ['web.spdx.json', 'sbom'],
      ['web.cdx.json', 'sbom'], ['web.qcow2.sha256', 'other'], ['web.raw', 'other'], ['other.manifest.json', 'other'],
    ]);
  });

  it('lists images first, then the log, the manifest, the SBOMs and the rest, each by name', () => {
    const files = kinds(['web.qcow2.md5', 'web.spdx.json', 'web.tar', 'web.manifest.json', 'web.log', 'web.cdx.json', 'web.qcow2'])
      .map(([name, kind]) => ({ name, kind: kind as ReturnType<typeof fileKind>, url: `/files/x/${name}`, bytes: 1 }));
    expect(sortFiles(files).map((f) => f.name)).toEqual(['web.qcow2', 'web.tar', 'web.log', 'web.manifest.json', 'web.cdx.json', 'web.spdx.json', 'web.qcow2.md5']);
  });
});
