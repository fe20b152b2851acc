// The "random" identifiers of a disk image (MBR disk id, GPT disk and partition GUIDs,
// filesystem UUIDs, ext4 directory hash seeds) drawn from a seed derived from the build's
// inputs instead of the system's randomness: the same inputs give the same disk, different
// inputs give different identifiers (mkosi's Seed=, kiwi's UUIDs from SOURCE_DATE_EPOCH). Pure.
import { createHash } from 'node:crypto';
import type { RandomSource } from '../block-device/random.js';
import type { BuildPlan } from './build-plan.js';
import { stageKeys } from './cache-keys.js';

/**
 * A deterministic RandomSource: SHA-256 of the seed and a block counter, concatenated (a hash in
 * counter mode). Not for secrets; identifiers only need to be distinct per input.
 */
export function derivedRandom(seed: string): RandomSource {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return {
    bytes(count) {
      while (pool.length < count) {
        const block = createHash('sha256').update(`kiln-seed-v1\n${seed}\n${counter++}`).digest();
        pool = Buffer.concat([pool, block]);
      }
      const out = new Uint8Array(pool.subarray(0, count));
      pool = pool.subarray(count);
      return out;
    },
  };
}

/**
 * The inputs part of a disk's seed (the size joins it once the tree is measured): everything that
 * shaped the tree (its layer key) and the block-device config. SOURCE_DATE_EPOCH is left out, even
 * when the user gave it: a time is not an identity, and two builds that differ only in it then
 * differ only in times (what kiln-diff reports).
 */
export function diskSeedInputs(plan: BuildPlan, packageLists: Record<string, string>, diskText: string): string {
  // Both places it enters the keys: the variable hooks see, and the option line.
  const timeless = { ...plan, request: { ...plan.request, sourceDateEpoch: undefined }, sourceDate: { ...plan.sourceDate, explicit: false } };
  const keys = stageKeys(timeless, packageLists);
  return [`root ${keys[keys.length - 1]!.key}`, diskText].join('\n');
}
