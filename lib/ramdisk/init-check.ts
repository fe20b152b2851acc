// Init fragments are checked for shell syntax before they go into /init: a syntax error there
// would stop PID 1 and panic the kernel at boot, far from the flavour that caused it. busybox sh
// parses what the ramdisk will run; without it on the host, bash -n is the next best parser.
import { ConfigError } from '../errors.js';
import { run } from '../exec/run.js';
import { findTool } from '../exec/host-tools.js';
import type { LogSink } from '../log.js';

/** The argv that checks the syntax of `file` (pure apart from looking for busybox). */
function syntaxCheckArgv(file: string, busybox = findTool('busybox')): string[] {
  return busybox ? [busybox, 'sh', '-n', file] : ['bash', '-n', file];
}

/** Throws a ConfigError naming the flavour and file of the first fragment that does not parse. */
export async function checkFragments(fragments: readonly { flavour: string; path: string }[], log: LogSink, signal?: AbortSignal): Promise<void> {
  for (const fragment of fragments) {
    const result = await run(syntaxCheckArgv(fragment.path), { log, signal, allowFailure: true, label: 'sh -n' });
    if (result.exitCode !== 0) {
      const why = result.tail.join(' ').trim() || `exit status ${result.exitCode}`;
      throw new ConfigError(`init fragment of flavour ${fragment.flavour} is not valid shell: ${why}`, fragment.path, 'fix the fragment; it runs with busybox sh inside the ramdisk');
    }
  }
}
