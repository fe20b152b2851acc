// diskimage-builder's environment contract: what DIB 3.x gives every element besides the
// variables kiln sets anyway (ARCH, IMAGE_NAME, IMAGE_ELEMENT, ...), so that its own elements and
// third-party ones run unchanged. Two halves:
// - dibVariables(): the values that follow from the request alone (pure);
// - completeDibContract(): what needs the host, run on the finished plan (the dry run too): a
//   host Python that can import diskimage_builder, found when a flavour's hooks use
//   $DIB_PYTHON_EXEC.
// The hook tree's merge (plan/hook-tree-sources.ts) and the pkg-map and svc-map tables
// (flavours/name-maps.ts) are checked by resolveBuild() with the rest.
// The shell side (the $_LIB library, die, get_image_element_array, dib-run-parts on the PATH)
// is in lib/dib/ and in the hook wrapper (engine/hook-tree.ts).
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildRequest } from '../config/build-request.js';
import { UsageError } from '../errors.js';
import { run } from '../exec/run.js';
import fg from 'fast-glob';
import type { BuildPlan } from './build-plan.js';
import type { EnvVar } from './hook-environment.js';

const SOURCE = 'kiln (diskimage-builder contract)';

/** `export | grep DIB_` of the user's environment, as DIB records it for the manifests (DIB_ENV). */
export function dibEnvSnapshot(env: Record<string, string | undefined>): string {
  return Object.entries(env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[0].startsWith('DIB_'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `declare -x ${name}="${value.replace(/(["\\$`])/g, '\\$1')}"`)
    .join('\n');
}

/** The DIB variables that follow from the request (pure). */
export function dibVariables(request: BuildRequest): EnvVar[] {
  const env = request.env;
  const vars: [string, string][] = [
    // Set by the hook wrapper (engine/hook-tree.ts), valid on the host and in the chroot.
    ['_LIB', '${TMP_HOOKS_PATH}/.kiln/lib'],
    ['DIB_ARGS', (request.argv ?? request.flavours).join(' ')],
    ['DIB_ENV', dibEnvSnapshot(env)],
    ['DIB_MIN_TMPFS', String(Math.max(1, Math.round(request.minTmpfsBytes / 2 ** 30)))],
    ['FS_TYPE', env.FS_TYPE ?? 'ext4'],
    ['TMP_DIR', env.TMP_DIR ?? env.TMPDIR ?? '/tmp'],
    ['SKIP_BASE', request.skipBase ? '1' : '0'],
    // Where DIB's own root.d hooks (ubuntu, yum-minimal) take their locks on cached downloads;
    // the engine creates it (engine/steps/prepare-hook-tree.ts), as DIB's disk-image-create does.
    ['DIB_LOCKFILES', env.DIB_LOCKFILES ?? join(request.imageCache, 'lockfiles')],
  ];
  if (!request.checksum) vars.push(['DIB_CHECKSUM', '0']);
  if (request.kind === 'disk') vars.push(['COMPRESS_IMAGE', request.uncompressed ? '0' : '1']);
  return vars.map(([name, value]) => ({ name, value, source: SOURCE }));
}

/** Flavours whose hooks or helpers run $DIB_PYTHON_EXEC (DIB's package-installs, for one). */
function flavoursUsingDibPython(flavours: readonly { name: string; path: string }[]): string[] {
  const files = (path: string) => fg.sync('*/**/*', { cwd: path, absolute: true, onlyFiles: true, followSymbolicLinks: true, ignore: ['tests/**', '__pycache__/**', '**/*.pyc'] });
  return flavours
    .filter((flavour) => files(flavour.path).some((file) => readFileSync(file, 'latin1').includes('DIB_PYTHON_EXEC')))
    .map((flavour) => flavour.name);
}

/** Python interpreters to try, in order: $DIB_PYTHON_EXEC, each python3 on PATH, Debian's own. */
export function dibPythonCandidates(env: Record<string, string | undefined>): string[] {
  const candidates: string[] = [];
  if (env.DIB_PYTHON_EXEC) candidates.push(env.DIB_PYTHON_EXEC);
  for (const dir of (env.PATH ?? '').split(':').filter(Boolean)) {
    try {
      accessSync(join(dir, 'python3'), constants.X_OK);
      candidates.push(join(dir, 'python3'));
    } catch {
      // not in this folder
    }
  }
  candidates.push('/usr/bin/python3');
  return [...new Set(candidates)];
}

/** The first candidate that imports diskimage_builder (and yaml, which its helpers need). */
export async function findDibPython(candidates: readonly string[]): Promise<string | undefined> {
  for (const python of candidates) {
    const probe = await run([python, '-c', 'import diskimage_builder, yaml'], { allowFailure: true }).catch(() => undefined);
    if (probe?.exitCode === 0) return python;
  }
  return undefined;
}

/**
 * Completes a plan with what DIB's contract needs from the host: DIB_PYTHON_EXEC when a
 * flavour needs it. Throws UsageError (also in a dry run) when the build could not work.
 */
export async function completeDibContract(plan: BuildPlan, pythons = dibPythonCandidates(plan.request.env)): Promise<BuildPlan> {
  const users = flavoursUsingDibPython(plan.flavours);
  if (!users.length) return plan;
  const python = await findDibPython(pythons);
  const who = users.map((name) => `"${name}"`).join(', ');
  if (!python) {
    throw new UsageError(
      `flavour ${who} runs $DIB_PYTHON_EXEC, a Python 3 that can import diskimage_builder, and none was found (tried ${pythons.join(', ')})`,
      'install diskimage-builder (apt-get install python3-diskimage-builder) or set DIB_PYTHON_EXEC to a Python that imports it',
    );
  }
  const variable: EnvVar = { name: 'DIB_PYTHON_EXEC', value: python, source: `${SOURCE}: imports diskimage_builder, needed by ${who}` };
  return { ...plan, environment: [...plan.environment.filter((v) => v.name !== 'DIB_PYTHON_EXEC'), variable] };
}
