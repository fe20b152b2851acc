// The block-device config of a plan, chosen and validated the same way in a dry run and in a
// build: DIB_BLOCK_DEVICE_CONFIG, else the first flavour that carries one, else the fallback.
import { parseBlockDeviceConfig } from '../block-device/config.js';
import { parseJournalMiB } from '../config/fields.js';
import { checkKernelSupport, probeKernelFeatures } from '../block-device/kernel-support.js';
import { selectConfigSource } from '../block-device/source.js';
import type { BlockDeviceConfig } from '../block-device/types.js';
import { exportedValues } from '../plan/environment.js';
import type { BuildPlan } from '../plan/build-plan.js';

/** Reads, parses and checks the layout for `plan` (throws ConfigError with the source named). */
export function blockDeviceConfig(plan: BuildPlan): { config: BlockDeviceConfig; ignored: string[] } {
  const env = { ...exportedValues(plan.environment), ...definedOnly(plan.request.env) };
  const source = selectConfigSource({ envValue: env.DIB_BLOCK_DEVICE_CONFIG, flavours: plan.flavours, arch: plan.request.arch, cwd: plan.request.cwd });
  const config = parseBlockDeviceConfig(source.text, source.source, {
    fsType: env.FS_TYPE,
    label: plan.request.rootLabel,
    mkfsOptions: plan.request.mkfsOptions,
    // A flavour's environment.d may set it too: checked the way the option is.
    journalMiB: plan.request.journalSizeMiB ?? (env.DIB_JOURNAL_SIZE ? parseJournalMiB(env.DIB_JOURNAL_SIZE, 'DIB_JOURNAL_SIZE') : undefined),
    maxOnlineResize: plan.request.maxOnlineResize,
  });
  checkKernelSupport(config, probeKernelFeatures());
  return { config, ignored: source.ignored };
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** The layout text that shapes a disk build's outputs ('' for tree and ramdisk builds). */
export function outputCacheText(plan: BuildPlan): string {
  if (plan.request.kind !== 'disk' || plan.request.types.every((t) => ['tar', 'tgz', 'tar.zst', 'squashfs'].includes(t))) return '';
  const env = { ...exportedValues(plan.environment), ...definedOnly(plan.request.env) };
  const source = selectConfigSource({ envValue: env.DIB_BLOCK_DEVICE_CONFIG, flavours: plan.flavours, arch: plan.request.arch, cwd: plan.request.cwd });
  return `${source.source}\n${source.text}\nFS_TYPE=${env.FS_TYPE ?? ''} ROOT_LABEL=${env.ROOT_LABEL ?? ''} DIB_JOURNAL_SIZE=${env.DIB_JOURNAL_SIZE ?? ''}`;
}
