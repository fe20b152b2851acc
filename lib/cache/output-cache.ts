// The output cache: when nothing that shapes the outputs changed since a build, the outputs of
// that build are copied from the cache instead of being built again (an unchanged rebuild takes
// seconds and gives the same files). The key extends the last root layer's key with everything
// the disk and output steps read: their hooks, the block-device config, the output options.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { run } from '../exec/run.js';
import { optionKeyLines } from '../config/field-views.js';
import type { LogSink } from '../log.js';
import type { BuildPlan } from '../plan/build-plan.js';
import { withCacheLock } from './lock.js';
import { installFolder } from '../outputs/container.js';
import type { Firmware } from '../boot-test/qemu.js';

/** Phases that run after the root is complete: their hooks shape the outputs. */
const OUTPUT_PHASES = ['block-device-size', 'block-device', 'pre-finalise', 'finalise', 'cleanup'];

function fileHash(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return 'absent';
  }
}

/** The key of a build's outputs, from the finished root's layer key and the output inputs. */
export function outputKey(plan: BuildPlan, rootKey: string, blockDeviceConfigText: string): string {
  const lines = [
    'kiln-outputs-v2', rootKey, `kind ${plan.request.kind}`, ...optionKeyLines(plan.request, 'outputs'),
    `block-device ${blockDeviceConfigText}`,
    // The container outputs' name, tag and settings (entrypoint, labels, ...) are in the image config.
    `container ${JSON.stringify(plan.container ?? null)}`,
    ...OUTPUT_PHASES.flatMap((name) => (plan.phases.find((p) => p.name === name)?.hooks ?? []).map((h) => `hook ${name}/${h.name} ${h.flavour} ${fileHash(h.path)}`)),
  ];
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 32);
}

const setDir = (cacheDir: string, key: string): string => join(cacheDir, 'outputs', key);

/** The cached files for `key`, by format, if every one of `formats` is there. */
export function findOutputs(cacheDir: string, key: string, formats: readonly string[]): Map<string, string> | undefined {
  const dir = setDir(cacheDir, key);
  const found = new Map(formats.map((f) => [f, join(dir, f)]));
  return [...found.values()].every((p) => existsSync(p)) && existsSync(join(dir, 'meta.json')) ? found : undefined;
}

/** Copies a file or folder output keeping holes (and sharing blocks where it can), then renames. */
async function copyFile(from: string, to: string, log: LogSink): Promise<void> {
  const partial = join(dirname(to), `.${basename(to)}.kiln-partial`);
  try {
    await rm(partial, { recursive: true, force: true });
    await run(['cp', '--recursive', '--sparse=always', '--reflink=auto', from, partial], { log, what: `copying ${from}` });
    if (statSync(partial).isDirectory()) await installFolder(partial, to);
    else await rename(partial, to);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/** Stores the build's outputs under `key`. */
export async function storeOutputs(cacheDir: string, key: string, outputs: readonly { format: string; path: string }[], log: LogSink, firmwares: readonly string[] = []): Promise<void> {
  const dir = setDir(cacheDir, key);
  const partial = `${dir}.${process.pid}.partial`;
  await mkdir(partial, { recursive: true });
  try {
    for (const o of outputs) await copyFile(o.path, join(partial, o.format), log);
    await writeFile(join(partial, 'meta.json'), JSON.stringify({ key, createdMs: Date.now(), lastUsedMs: Date.now(), formats: outputs.map((o) => o.format), firmwares }));
    await withCacheLock(cacheDir, async () => {
      await rm(dir, { recursive: true, force: true });
      await rename(partial, dir);
    });
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/** Copies cached outputs to where the build writes them; marks the set as used. */
export async function restoreOutputs(cacheDir: string, key: string, found: Map<string, string>, targets: readonly { format: string; path: string }[], log: LogSink): Promise<void> {
  await withCacheLock(cacheDir, async () => {
    for (const t of targets) await copyFile(found.get(t.format)!, t.path, log);
    const meta = join(setDir(cacheDir, key), 'meta.json');
    const info = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, unknown>;
    await writeFile(meta, JSON.stringify({ ...info, lastUsedMs: Date.now() }));
  });
}

/** Cached output sets with their sizes and times, for kiln-cache. */
export function listOutputSets(cacheDir: string): { key: string; path: string; bytes: number; createdMs: number; lastUsedMs: number; formats: string[] }[] {
  const root = join(cacheDir, 'outputs');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'meta.json')))
    .map((name) => {
      const meta = JSON.parse(readFileSync(join(root, name, 'meta.json'), 'utf8')) as { createdMs: number; lastUsedMs: number; formats: string[] };
      const bytes = readdirSync(join(root, name), { recursive: true, encoding: 'utf8' }).reduce((sum, f) => sum + statSync(join(root, name, f)).blocks * 512, 0);
      return { key: name, path: join(root, name), bytes, ...meta };
    });
}

/** Firmwares the cached disk image boots with (for --boot-test on cached outputs). */
export function cachedFirmwares(cacheDir: string, key: string): Firmware[] {
  try {
    return (JSON.parse(readFileSync(join(setDir(cacheDir, key), 'meta.json'), 'utf8')) as { firmwares?: Firmware[] }).firmwares ?? [];
  } catch {
    return [];
  }
}
