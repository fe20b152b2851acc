// diskimage-builder's manifest folder, for tools that read it: NAME.d/dib-manifests/ with
// dib-element-manifest (the elements, one per line), dib_environment (the DIB_* variables),
// dib_arguments (the command line) and dib-manifest-dpkg-NAME (`dpkg-query -W` of the image:
// package TAB version). Pure: file name → content.
import { shellQuote } from '../exec/run.js';
import type { BuildPlan } from '../plan/build-plan.js';
import type { DebPackage } from '../sbom/dpkg-status.js';
import { manifestValue } from './manifest.js';

/** The folder, as DIB_MANIFEST_SAVE_DIR defaults it: `NAME.d/dib-manifests`. */
export function dibManifestDir(imageName: string): string {
  return `${imageName}.d/dib-manifests`;
}

/** The files of the folder. */
export function dibManifestFiles(plan: BuildPlan, packages: readonly DebPackage[] | undefined): Record<string, string> {
  const name = plan.request.imageName.split('/').pop()!;
  const dib = plan.environment.filter((v) => v.name.startsWith('DIB_')).sort((a, b) => (a.name < b.name ? -1 : 1));
  const files: Record<string, string> = {
    'dib-element-manifest': plan.flavours.map((f) => `${f.name}\n`).join(''),
    dib_environment: dib.map((v) => `declare -x ${v.name}=${shellQuote([manifestValue(v.name, v.value)])}\n`).join(''),
    dib_arguments: `${shellQuote(plan.request.argv ?? [...plan.request.flavours])}\n`,
  };
  if (packages) files[`dib-manifest-dpkg-${name}`] = packages.map((p) => `${p.binaryPackage}\t${p.version}\n`).join('');
  return files;
}
