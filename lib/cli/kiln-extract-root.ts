// Command run by the cloud-image flavour's root.d hook:
//   node dist/cli/kiln-extract-root.js IMAGE TARGET
// Unpacks the root filesystem of IMAGE into TARGET (see extract-root.ts). A node program rather
// than bash so that a Ctrl-C (the engine stops the hook with SIGTERM) releases every loop device
// and mount through the same ResourceStack code as the rest of kiln.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../errors.js';
import { FileLog, type LogSink } from '../log.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { runCommand } from './main.js';
import { extractRoot } from '../image-read/extract-root.js';
import { checkImageReadTools } from '../image-read/image-read-tools.js';

const NAME = 'cloud-image';

/** Entry point; resolves to the exit code. Output lines go to stdout (the hook's log). */
export function main(argv: string[]): Promise<number> {
  return runCommand(NAME, argv, async ({ signal }) => {
    const [image, target, ...rest] = argv.filter((a) => a !== '--debug');
    if (!image || !target || rest.length) throw new UsageError('usage: kiln-extract-root.js IMAGE TARGET');
    checkImageReadTools();
    const log: LogSink & { close?: () => void } = process.env.KILN_EXTRACT_LOG ? new FileLog(process.env.KILN_EXTRACT_LOG) : echoLog();
    const stack = new ResourceStack();
    try {
      const result = await extractRoot({
        image: resolve(image), target: resolve(target), log, signal, stack, arch: process.env.ARCH, containerTag: process.env.DIB_LOCAL_IMAGE_TAG || undefined,
      });
      for (const warning of result.warnings) process.stdout.write(`${NAME}: warning: ${warning}\n`);
      process.stdout.write(`${NAME}: unpacked the root filesystem of ${image} (${result.from}) into ${target}\n`);
      return 0;
    } finally {
      await stack.disposeAsync();
      log.close?.();
    }
  });
}

/** The commands run and their output, on stdout: the engine keeps the hook's output in the build log. */
function echoLog(): LogSink {
  return { path: undefined, line: (label, text) => void process.stdout.write(`${label} | ${text}\n`) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
