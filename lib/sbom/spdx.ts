// The SBOM as an SPDX 2.3 JSON document: the image as the described package, one package per
// installed Debian package (version, architecture, source package, declared license, package
// URL), the flavours as packages the image was generated from, and the relationships: the image
// CONTAINS each package, packages DEPEND_ON each other as dpkg records, a flavour DEPENDS_ON the
// packages it asked for or installed. Licenses SPDX has no identifier for are defined in
// hasExtractedLicensingInfos. Deterministic: sorted, dated SOURCE_DATE_EPOCH, its namespace
// derived from its content. Pure.
import { createHash } from 'node:crypto';
import { debPurl, installedDependencies, isoSeconds, packageIndex, provenanceOf, type SbomInputs } from './document.js';
import type { InventoryPackage } from './inventory.js';

/** SPDXRef ids allow letters, digits, dots and dashes. */
function spdxId(kind: string, name: string, used: Set<string>): string {
  const base = `SPDXRef-${kind}-${name.replace(/[^A-Za-z0-9.-]+/g, '-')}`;
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}

type Relationship = { spdxElementId: string; relationshipType: string; relatedSpdxElement: string; comment?: string };

function debPackage(p: InventoryPackage, id: string, inputs: SbomInputs): Record<string, unknown> {
  const { how } = provenanceOf(p.name, inputs);
  const comment = [`architecture ${p.architecture}`, p.automatic ? 'installed automatically as a dependency' : '', ...how].filter(Boolean).join('; ');
  return {
    name: p.name,
    SPDXID: id,
    versionInfo: p.version,
    packageFileName: `${p.name}_${p.version.replace(/^\d+:/, '')}_${p.architecture}.deb`,
    supplier: inputs.osRelease.ID === 'debian' ? 'Organization: Debian' : 'NOASSERTION',
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    sourceInfo: `built from the ${inputs.osRelease.ID ?? 'Debian'} source package ${p.source} ${p.sourceVersion}`,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: p.license?.expression ?? 'NOASSERTION',
    ...(p.license && !p.license.machineReadable && p.license.commonLicenses.length
      ? { licenseComments: `free-form copyright file naming /usr/share/common-licenses/${p.license.commonLicenses.join(', ')}` } : {}),
    copyrightText: 'NOASSERTION',
    ...(p.homepage ? { homepage: p.homepage } : {}),
    ...(p.summary ? { summary: p.summary } : {}),
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: debPurl(p, inputs.osRelease) }],
    comment,
  };
}

/** The SPDX 2.3 document (a JSON-ready object). */
export function spdxDocument(inputs: SbomInputs): Record<string, unknown> {
  const used = new Set<string>();
  const imageId = spdxId('Image', inputs.imageName, used);
  const packageIds = new Map(inputs.packages.map((p) => [p, spdxId('Package-deb', `${p.name}-${p.architecture}`, used)]));
  const flavourIds = new Map(inputs.flavours.map((f) => [f.name, spdxId('Flavour', f.name, used)]));
  const relationships: Relationship[] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId }];
  const index = packageIndex(inputs.packages);
  for (const [p, id] of packageIds) {
    relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
    for (const d of installedDependencies(p, index)) relationships.push({ spdxElementId: id, relationshipType: 'DEPENDS_ON', relatedSpdxElement: packageIds.get(d)! });
    const { how } = provenanceOf(p.name, inputs);
    for (const flavour of provenanceOf(p.name, inputs).flavours) {
      const comment = how.filter((h) => h.includes(`${flavour}/`) || h.endsWith(`(${flavour})`)).join('; ');
      relationships.push({ spdxElementId: flavourIds.get(flavour) ?? imageId, relationshipType: 'DEPENDS_ON', relatedSpdxElement: id, ...(comment ? { comment } : {}) });
    }
  }
  for (const id of flavourIds.values()) relationships.push({ spdxElementId: imageId, relationshipType: 'GENERATED_FROM', relatedSpdxElement: id });
  const extracted = new Map<string, string>();
  for (const p of inputs.packages) for (const [ref, text] of p.license?.references ?? []) if (!extracted.has(ref)) extracted.set(ref, text);
  const body = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${inputs.imageName} (kiln image)`,
    documentNamespace: '',
    creationInfo: {
      created: isoSeconds(inputs.epoch),
      creators: [`Tool: kiln-${inputs.kilnVersion}`],
      comment: 'The creation time is the build\'s SOURCE_DATE_EPOCH, so the same image gives the same document.',
    },
    documentDescribes: [imageId],
    packages: [
      {
        name: inputs.imageName,
        SPDXID: imageId,
        versionInfo: inputs.osRelease.PRETTY_NAME ?? 'unknown',
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        primaryPackagePurpose: 'OPERATING-SYSTEM',
        licenseConcluded: 'NOASSERTION',
        licenseDeclared: 'NOASSERTION',
        copyrightText: 'NOASSERTION',
        ...(inputs.outputs.length ? { checksums: [{ algorithm: 'SHA256', checksumValue: inputs.outputs[0]!.sha256 }] } : {}),
        comment: [`${inputs.architecture} image built by kiln`, ...inputs.outputs.map((o) => `output ${o.file} sha256 ${o.sha256}`)].join('; '),
      },
      ...[...packageIds].map(([p, id]) => debPackage(p, id, inputs)),
      ...inputs.flavours.map((f) => ({
        name: f.name,
        SPDXID: flavourIds.get(f.name)!,
        versionInfo: `sha256:${f.sha256}`,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        primaryPackagePurpose: 'SOURCE',
        licenseConcluded: 'NOASSERTION',
        licenseDeclared: 'NOASSERTION',
        copyrightText: 'NOASSERTION',
        comment: 'kiln flavour: hooks and settings the image was built with (versionInfo is the hash of its files)',
      })),
    ],
    hasExtractedLicensingInfos: [...extracted].sort(([a], [b]) => (a < b ? -1 : 1)).map(([licenseId, extractedText]) => ({
      licenseId, extractedText, name: licenseId.slice('LicenseRef-'.length),
    })),
    relationships,
  };
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  return { ...body, documentNamespace: `https://kiln.invalid/spdx/${encodeURIComponent(inputs.imageName)}-${hash}` };
}
