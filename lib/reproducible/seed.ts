// The "random" identifiers of a disk image (MBR disk id, GPT disk and partition GUIDs,
// filesystem UUIDs, ext4 directory hash seeds) drawn from a seed derived from the build's
// inputs instead of the system's randomness: the same inputs give the same disk, different
// inputs give different identifiers (mkosi's Seed=, kiwi's UUIDs from SOURCE_DATE_EPOCH). Pure.
import { createHash } from 'node:crypto';
import type { RandomSource } from '../block-device/random.js';

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
