// Where the block-device config comes from, in DIB's order (common-functions
// block_device_create_config_file): DIB_BLOCK_DEVICE_CONFIG as `file://path` or inline YAML;
// else the first flavour (in build order) with block-device-<ARCH>.yaml or
// block-device-default.yaml; else the fallback, a bare root filesystem with no partition table.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

/** DIB's fallback config: one filesystem on the whole image (what you get without `vm`). */
export const FALLBACK_CONFIG = `- local_loop:
    name: image0
    mkfs:
      name: mkfs_root
      mount:
        mount_point: /
        fstab:
          options: "defaults"
          fsck-passno: 1
`;

/** Config text and the name errors give it. */
export interface ConfigSource {
  text: string;
  /** `DIB_BLOCK_DEVICE_CONFIG`, a file path, or `built-in fallback config`. */
  source: string;
  /** Other flavours' configs that were ignored because an earlier one won. */
  ignored: string[];
}

/** Picks the config for a build; reads the file it names. */
export function selectConfigSource(options: {
  /** DIB_BLOCK_DEVICE_CONFIG, if set. */
  envValue: string | undefined;
  /** Resolved flavours in build order. */
  flavours: readonly { name: string; path: string }[];
  arch: string;
  /** Folder a relative file:// path is read from. */
  cwd: string;
}): ConfigSource {
  const env = options.envValue;
  if (env !== undefined && env.startsWith('file://')) {
    const raw = env.slice('file://'.length);
    const path = isAbsolute(raw) ? raw : resolve(options.cwd, raw);
    return { text: readConfigFile(path), source: path, ignored: [] };
  }
  if (env !== undefined && env.trim() !== '') return { text: env, source: 'DIB_BLOCK_DEVICE_CONFIG', ignored: [] };
  const found = options.flavours.map((f) => flavourConfig(f.path, options.arch)).filter((p): p is string => p !== undefined);
  const first = found[0];
  if (first === undefined) return { text: FALLBACK_CONFIG, source: 'built-in fallback config', ignored: [] };
  return { text: readConfigFile(first), source: first, ignored: found.slice(1) };
}

/** The config file a flavour carries for `arch`, if any (ppc64le and ppc64el share one). */
function flavourConfig(dir: string, arch: string): string | undefined {
  const archName = arch === 'ppc64le' || arch === 'ppc64el' ? 'ppc64el' : arch;
  for (const name of [`block-device-${archName}.yaml`, 'block-device-default.yaml']) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function readConfigFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : String((error as Error).message);
    throw new ConfigError(`cannot read the block-device config: ${reason}`, path, 'check DIB_BLOCK_DEVICE_CONFIG=file://<path>');
  }
}
