// What a command run in-process printed: stdout and stderr are captured (and not shown) until
// vi.restoreAllMocks().
import { vi } from 'vitest';

/** Starts capturing process.stdout and process.stderr; read the text from the returned object. */
export function captureStdio(): { stdout: string; stderr: string } {
  const captured = { stdout: '', stderr: '' };
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((captured.stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((captured.stderr += String(chunk)), true));
  return captured;
}
