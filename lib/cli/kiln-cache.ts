// kiln-cache: look at and prune kiln's cache (build-root layers, downloaded packages, base trees).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Command } from 'commander';
import { listLayers, pruneCache, type CacheEntry } from '../cache/layer-store.js';
import { removableEntries } from '../cache/size-limit.js';
import { listOutputSets } from '../cache/output-cache.js';
import { buildRequest } from '../config/parse-options.js';
import { parseSizeOption } from '../config/values.js';
import { formatBytes } from '../config/size.js';
import { kilnVersion } from '../version.js';
import { runCommand } from './main.js';

function folderBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true })) {
    try {
      const stat = statSync(join(dir, String(entry)));
      if (stat.isFile()) total += stat.size;
    } catch {
      // vanished meanwhile
    }
  }
  return total;
}

function age(ms: number): string {
  const h = ms / 3600000;
  return h < 1 ? `${Math.round(h * 60)} min` : h < 48 ? `${Math.round(h)} h` : `${Math.round(h / 24)} d`;
}

function cacheDir(option: string | undefined): string {
  return buildRequest('disk', ['x'], { imageCache: option }, process.env, process.cwd()).imageCache;
}

function listCache(dir: string): string {
  const lines = [`kiln cache ${dir}`, '', 'Layers (newest first):'];
  const warn = (message: string): boolean => process.stderr.write(`kiln-cache: warning: ${message}\n`);
  const layers = listLayers(dir, warn);
  const now = Date.now();
  for (const l of layers) {
    lines.push(`  ${l.key.slice(0, 12)}  ${l.stage.padEnd(12)} ${formatBytes(l.bytes).padStart(9)}  made ${age(now - l.createdMs)} ago, used ${age(now - l.lastUsedMs)} ago  ${l.flavours}`);
  }
  if (!layers.length) lines.push('  (none)');
  lines.push('', 'Outputs of unchanged builds:');
  const sets = listOutputSets(dir, warn);
  for (const o of sets) lines.push(`  ${o.key.slice(0, 12)}  ${o.formats.join(',').padEnd(12)} ${formatBytes(o.bytes).padStart(9)}  made ${age(now - o.createdMs)} ago, used ${age(now - o.lastUsedMs)} ago`);
  if (!sets.length) lines.push('  (none)');
  lines.push('', 'Folders:');
  const folders = existsSync(dir) ? readdirSync(dir).filter((f) => !['layers', 'outputs'].includes(f) && statSync(join(dir, f)).isDirectory()) : [];
  for (const f of folders) lines.push(`  ${f.padEnd(14)} ${formatBytes(folderBytes(join(dir, f))).padStart(9)}`);
  const total = layers.reduce((s, l) => s + l.bytes, 0) + sets.reduce((s, o) => s + o.bytes, 0);
  lines.push('', `layers and outputs: ${formatBytes(total)} (kiln-cache prune --max-size SIZE trims them)`);
  return `${lines.join('\n')}\n`;
}

/** Metadata files of layers that are broken (listLayers tells of them). */
function brokenLayers(dir: string): string[] {
  const broken: string[] = [];
  listLayers(dir, (_, path) => broken.push(path));
  return broken;
}

/** The cache entry whose metadata file `meta` is broken. */
function brokenEntry(meta: string): CacheEntry {
  const layer = basename(dirname(meta)) === 'layers';
  const paths = layer ? [meta, meta.replace(/\.json$/, '.tar.zst')] : [dirname(meta)];
  const bytes = layer ? paths.reduce((sum, p) => sum + (existsSync(p) ? statSync(p).size : 0), 0) : folderBytes(dirname(meta));
  return { kind: layer ? 'layer' : 'outputs', key: basename(layer ? meta : dirname(meta), '.json'), bytes, lastUsedMs: 0, paths };
}

/** Entry point of kiln-cache. */
export function main(argv: string[]): Promise<number> {
  return runCommand('kiln-cache', argv, async () => {
    const program = new Command('kiln-cache')
      .description("Look at and prune kiln's cache of build-root layers, packages and base trees.")
      .version(kilnVersion(), '--version')
      .option('--image-cache <dir>', 'cache folder (default $DIB_IMAGE_CACHE or ~/.cache/kiln)')
      .exitOverride()
      .configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    program.command('list').description('list layers with sizes and ages, and the other cache folders').action(() => {
      process.stdout.write(listCache(cacheDir(program.opts<{ imageCache?: string }>().imageCache)));
    });
    program
      .command('prune')
      .description('remove least recently used layers and cached outputs until they take at most --max-size')
      .requiredOption('--max-size <size>', 'size to keep, e.g. 10G (bare number = GiB; 0 removes every layer)')
      .action(async (options: { maxSize: string }) => {
        const max = options.maxSize === '0' ? 0 : parseSizeOption('--max-size', options.maxSize, 'GiB');
        const dir = cacheDir(program.opts<{ imageCache?: string }>().imageCache);
        const broken: string[] = [];
        listOutputSets(dir, (_, path) => broken.push(path));
        const entries = removableEntries(dir);
        // Entries with broken metadata are never reused (a build makes them again): they always go.
        const removed = [...(await pruneCache(dir, brokenLayers(dir).concat(broken).map(brokenEntry), 0)), ...(await pruneCache(dir, entries, max))];
        process.stdout.write(`removed ${removed.length} entr${removed.length === 1 ? 'y' : 'ies'}, ${formatBytes(removed.reduce((s, l) => s + l.bytes, 0))}\n`);
      });
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  });
}
