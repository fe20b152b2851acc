// The error a call throws, checked to be of one class (for assertions on messages and hints).
import { expect } from 'vitest';

/** Calls `fn`, expects it to throw an instance of `type`, and returns that error. */
export function thrown<T extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => T): T {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as T;
  }
  throw new Error(`expected ${type.name} to be thrown`);
}
