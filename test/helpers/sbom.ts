// Checks of the SBOM documents shared by the unit and end-to-end tests: CycloneDX through the
// CycloneDX library's own JSON schema validator, SPDX 2.3 field by field for everything the
// specification requires (clause numbers of SPDX 2.3 in the messages), license expressions with
// spdx-expression-parse and package URLs with packageurl-js.
import * as cdx from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
// @ts-expect-error: spdx-expression-parse ships no types.
import parseSpdxExpression from 'spdx-expression-parse';

/** Validation errors of a CycloneDX 1.6 JSON text (null when valid). */
export async function cyclonedxErrors(json: string): Promise<unknown> {
  const validator = new cdx.Validation.JsonStrictValidator(cdx.Spec.Version.v1dot6);
  return validator.validate(json);
}

const ID = /^SPDXRef-[A-Za-z0-9.-]+$/;
const RELATIONSHIP_TYPES = new Set([
  'DESCRIBES', 'DESCRIBED_BY', 'CONTAINS', 'CONTAINED_BY', 'DEPENDS_ON', 'DEPENDENCY_OF', 'DEPENDENCY_MANIFEST_OF',
  'BUILD_DEPENDENCY_OF', 'DEV_DEPENDENCY_OF', 'OPTIONAL_DEPENDENCY_OF', 'PROVIDED_DEPENDENCY_OF', 'TEST_DEPENDENCY_OF',
  'RUNTIME_DEPENDENCY_OF', 'EXAMPLE_OF', 'GENERATES', 'GENERATED_FROM', 'ANCESTOR_OF', 'DESCENDANT_OF', 'VARIANT_OF',
  'DISTRIBUTION_ARTIFACT', 'PATCH_FOR', 'PATCH_APPLIED', 'COPY_OF', 'FILE_ADDED', 'FILE_DELETED', 'FILE_MODIFIED',
  'EXPANDED_FROM_ARCHIVE', 'DYNAMIC_LINK', 'STATIC_LINK', 'DATA_FILE_OF', 'TEST_CASE_OF', 'BUILD_TOOL_OF', 'DEV_TOOL_OF',
  'TEST_OF', 'TEST_TOOL_OF', 'DOCUMENTATION_OF', 'OPTIONAL_COMPONENT_OF', 'METAFILE_OF', 'PACKAGE_OF', 'AMENDS',
  'PREREQUISITE_FOR', 'HAS_PREREQUISITE', 'REQUIREMENT_DESCRIPTION_FOR', 'SPECIFICATION_FOR', 'OTHER',
]);
const PURPOSES = new Set(['APPLICATION', 'FRAMEWORK', 'LIBRARY', 'CONTAINER', 'OPERATING-SYSTEM', 'DEVICE', 'FIRMWARE', 'SOURCE', 'ARCHIVE', 'FILE', 'INSTALL', 'OTHER']);

function licenseOk(text: unknown, declared: Set<string>): boolean {
  if (text === 'NOASSERTION' || text === 'NONE') return true;
  if (typeof text !== 'string') return false;
  try {
    parseSpdxExpression(text);
  } catch {
    return false;
  }
  return (text.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? []).every((ref) => declared.has(ref));
}

/** Everything SPDX 2.3 requires that `doc` lacks or gets wrong (empty when it conforms). */
export function spdxProblems(doc: Record<string, any>): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  need(doc.spdxVersion === 'SPDX-2.3', '6.1 spdxVersion must be SPDX-2.3');
  need(doc.dataLicense === 'CC0-1.0', '6.2 dataLicense must be CC0-1.0');
  need(doc.SPDXID === 'SPDXRef-DOCUMENT', '6.3 SPDXID must be SPDXRef-DOCUMENT');
  need(typeof doc.name === 'string' && doc.name.length > 0, '6.4 name is required');
  need(typeof doc.documentNamespace === 'string' && /^[a-z][a-z0-9+.-]*:\/\/\S+$/.test(doc.documentNamespace) && !doc.documentNamespace.includes('#'), '6.5 documentNamespace must be an absolute URI without #');
  need(Array.isArray(doc.creationInfo?.creators) && doc.creationInfo.creators.length > 0
    && doc.creationInfo.creators.every((c: string) => /^(Tool|Person|Organization): \S/.test(c)), '6.8 creators: at least one Tool:/Person:/Organization:');
  need(typeof doc.creationInfo?.created === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(doc.creationInfo.created), '6.9 created must be YYYY-MM-DDThh:mm:ssZ');
  const declared = new Set<string>();
  for (const info of doc.hasExtractedLicensingInfos ?? []) {
    need(/^LicenseRef-[A-Za-z0-9.-]+$/.test(info.licenseId), `10.1 licenseId ${info.licenseId} must be LicenseRef-[A-Za-z0-9.-]+`);
    need(typeof info.extractedText === 'string' && info.extractedText.length > 0, `10.2 extractedText of ${info.licenseId} is required`);
    declared.add(info.licenseId);
  }
  const ids = new Set<string>(['SPDXRef-DOCUMENT']);
  for (const p of doc.packages ?? []) {
    const label = `package ${p.SPDXID ?? p.name}`;
    need(typeof p.name === 'string' && p.name.length > 0, `7.1 ${label}: name is required`);
    need(typeof p.SPDXID === 'string' && ID.test(p.SPDXID), `7.2 ${label}: SPDXID must match SPDXRef-[A-Za-z0-9.-]+`);
    need(!ids.has(p.SPDXID), `7.2 ${label}: SPDXID must be unique`);
    ids.add(p.SPDXID);
    need(typeof p.downloadLocation === 'string' && p.downloadLocation.length > 0, `7.7 ${label}: downloadLocation is required`);
    if (p.filesAnalyzed !== false) need(typeof p.packageVerificationCode?.packageVerificationCodeValue === 'string', `7.9 ${label}: packageVerificationCode when filesAnalyzed`);
    for (const field of ['licenseConcluded', 'licenseDeclared']) {
      if (p[field] !== undefined) need(licenseOk(p[field], declared), `7.13/7.15 ${label}: ${field} ${p[field]} must be a valid expression with declared LicenseRefs`);
    }
    if (p.primaryPackagePurpose !== undefined) need(PURPOSES.has(p.primaryPackagePurpose), `7.24 ${label}: primaryPackagePurpose`);
    if (p.supplier !== undefined) need(/^(NOASSERTION|(Person|Organization): \S)/.test(p.supplier), `7.5 ${label}: supplier`);
    for (const ref of p.externalRefs ?? []) {
      need(['SECURITY', 'PACKAGE-MANAGER', 'PERSISTENT-ID', 'OTHER'].includes(ref.referenceCategory) && !!ref.referenceType && !!ref.referenceLocator, `7.21 ${label}: externalRef`);
      if (ref.referenceType === 'purl') {
        try {
          PackageURL.fromString(ref.referenceLocator);
        } catch {
          problems.push(`7.21 ${label}: ${ref.referenceLocator} is not a package URL`);
        }
      }
    }
    for (const c of p.checksums ?? []) need(typeof c.algorithm === 'string' && /^[0-9a-f]+$/.test(c.checksumValue), `7.10 ${label}: checksum`);
  }
  need(Array.isArray(doc.documentDescribes) ? doc.documentDescribes.every((d: string) => ids.has(d))
    : (doc.relationships ?? []).some((r: any) => r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES'), '6 the document must describe a package');
  for (const r of doc.relationships ?? []) {
    need(ids.has(r.spdxElementId) && (ids.has(r.relatedSpdxElement) || ['NONE', 'NOASSERTION'].includes(r.relatedSpdxElement)),
      `11.1 relationship ${r.spdxElementId} ${r.relationshipType} ${r.relatedSpdxElement}: both ends must exist`);
    need(RELATIONSHIP_TYPES.has(r.relationshipType), `11.1 relationship type ${r.relationshipType}`);
  }
  return problems;
}
