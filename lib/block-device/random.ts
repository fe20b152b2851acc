// Randomness for layouts (disk ids, partition and filesystem UUIDs), injected so that planning
// stays a pure, repeatable function in tests.
import { randomBytes } from 'node:crypto';

/** A source of random bytes. */
export interface RandomSource {
  bytes(count: number): Uint8Array;
}

/** Cryptographic randomness for real builds. */
export const cryptoRandom: RandomSource = { bytes: (count) => randomBytes(count) };

/** A repeatable generator for tests and golden files (xorshift32 from `seed`). */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0 || 1;
  return {
    bytes(count) {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) {
        state ^= state << 13;
        state >>>= 0;
        state ^= state >>> 17;
        state ^= state << 5;
        state >>>= 0;
        out[i] = state & 0xff;
      }
      return out;
    },
  };
}
