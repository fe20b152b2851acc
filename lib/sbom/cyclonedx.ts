// The SBOM as a CycloneDX 1.6 JSON document: the image as the BOM's subject (an operating
// system), one library component per installed Debian package (package URL, version, license
// expression, source package, architecture, repository and which flavour or hook put it there
// as properties), and the dependency graph dpkg records. Deterministic: sorted, timestamped
// SOURCE_DATE_EPOCH, its serial number derived from its content. Pure.
import { contentUuid, debPurl, distroOf, installedDependencies, isoSeconds, packageIndex, provenanceOf, type SbomInputs } from './document.js';

/** CycloneDX specification version written. */
const CYCLONEDX_VERSION = '1.6';

type Property = { name: string; value: string };

function component(p: SbomInputs['packages'][number], inputs: SbomInputs): Record<string, unknown> {
  const purl = debPurl(p, inputs.osRelease);
  const { flavours, how } = provenanceOf(p.name, inputs);
  const properties: Property[] = [
    { name: 'kiln:deb:architecture', value: p.architecture },
    { name: 'kiln:deb:source', value: p.source },
    { name: 'kiln:deb:source-version', value: p.sourceVersion },
    ...(p.automatic ? [{ name: 'kiln:deb:automatically-installed', value: 'true' }] : []),
    ...p.repositories.map((value) => ({ name: 'kiln:deb:repository', value })),
    ...flavours.map((value) => ({ name: 'kiln:flavour', value })),
    ...how.map((value) => ({ name: 'kiln:provenance', value })),
  ];
  return {
    type: 'library',
    'bom-ref': purl,
    ...(inputs.osRelease.ID === 'debian' ? { supplier: { name: 'Debian', url: ['https://www.debian.org'] } } : {}),
    name: p.name,
    version: p.version,
    ...(p.summary ? { description: p.summary } : {}),
    ...(p.license?.expression ? { licenses: [{ expression: p.license.expression }] } : {}),
    purl,
    ...(p.homepage && /^https?:\/\//.test(p.homepage) ? { externalReferences: [{ type: 'website', url: p.homepage }] } : {}),
    properties,
  };
}

/** The CycloneDX document (a JSON-ready object). */
export function cyclonedxDocument(inputs: SbomInputs): Record<string, unknown> {
  const imageRef = `kiln-image:${inputs.imageName}`;
  const index = packageIndex(inputs.packages);
  const refOf = (p: SbomInputs['packages'][number]): string => debPurl(p, inputs.osRelease);
  const body = {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: CYCLONEDX_VERSION,
    serialNumber: '',
    version: 1,
    metadata: {
      timestamp: isoSeconds(inputs.epoch),
      tools: { components: [{ type: 'application', name: 'kiln', version: inputs.kilnVersion }] },
      component: {
        type: 'operating-system',
        'bom-ref': imageRef,
        name: inputs.imageName,
        version: inputs.osRelease.VERSION_ID ?? inputs.osRelease.VERSION_CODENAME ?? 'unknown',
        ...(inputs.osRelease.PRETTY_NAME ? { description: inputs.osRelease.PRETTY_NAME } : {}),
        ...(inputs.outputs.length ? { hashes: [{ alg: 'SHA-256', content: inputs.outputs[0]!.sha256 }] } : {}),
        properties: [
          { name: 'kiln:architecture', value: inputs.architecture },
          { name: 'kiln:distro', value: distroOf(inputs.osRelease) },
          ...inputs.outputs.map((o) => ({ name: 'kiln:output', value: `${o.file} sha256:${o.sha256}` })),
        ],
      },
      properties: [
        { name: 'kiln:source-date-epoch', value: String(inputs.epoch) },
        ...inputs.flavours.map((f) => ({ name: 'kiln:flavour', value: `${f.name} sha256:${f.sha256}` })),
      ],
    },
    components: inputs.packages.map((p) => component(p, inputs)),
    dependencies: [
      { ref: imageRef, dependsOn: inputs.packages.map(refOf) },
      ...inputs.packages.map((p) => ({ ref: refOf(p), dependsOn: installedDependencies(p, index).map(refOf).sort() })),
    ],
  };
  return { ...body, serialNumber: `urn:uuid:${contentUuid(JSON.stringify(body))}` };
}
