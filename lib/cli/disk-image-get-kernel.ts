// disk-image-get-kernel: writes the newest kernel of a raw or qcow2 disk image and its initrd as
// DIR/PREFIX-vmlinuz and DIR/PREFIX-initrd, for PXE or `qemu -kernel/-initrd` boots. Works
// without nbd, device-mapper or partition scanning; everything it sets up is released, also on
// Ctrl-C or SIGTERM.
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { FileLog, nullLog, type LogSink } from '../log.js';
import { getKernel } from '../image-read/get-kernel.js';
import { OutputSet } from '../outputs/partial.js';
import { checkImageReadTools } from '../image-read/image-read-tools.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { clearLeftovers, describeCleared } from '../resources/leftovers.js';
import { resolveHostPath, resolveParent } from '../resources/safe-path.js';
import { kilnVersion } from '../version.js';
import { runCommand } from './main.js';

const EXAMPLES = `  disk-image-get-kernel -i web.qcow2                 writes ./web-vmlinuz and ./web-initrd
  disk-image-get-kernel -i web.raw -d /srv/tftp -o web-1.2`;

/** Parsed options. */
export interface GetKernelOptions {
  image: string;
  outDir: string;
  prefix: string;
  logfile: string | undefined;
}

/** The default prefix: the image's file name without its extension (pure). */
export function defaultPrefix(image: string): string {
  const name = basename(image);
  const stem = name.slice(0, name.length - extname(name).length);
  return stem || name;
}

/** Turns the parsed flags into checked options (pure apart from looking at DIR). */
export function checkOptions(flags: { image: string; dir?: string; output?: string; logfile?: string }, cwd: string): GetKernelOptions {
  const outDir = resolveHostPath(flags.dir ?? '.', cwd);
  let isDir = false;
  try {
    isDir = statSync(outDir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`-d ${flags.dir}: no such folder`, 'create it first, or leave -d out to write into the current folder');
  const prefix = flags.output ?? defaultPrefix(flags.image);
  if (!prefix || prefix.includes('/')) throw new UsageError(`-o "${prefix}" is not a file name prefix`, 'give a name without "/"; -d chooses the folder');
  return { image: resolveHostPath(flags.image, cwd), outDir, prefix, logfile: flags.logfile === undefined ? undefined : resolveParent(flags.logfile, cwd) };
}

function defineCommand(): Command {
  return new Command('disk-image-get-kernel')
    .description('Write the newest kernel of a raw or qcow2 disk image and its initrd as DIR/PREFIX-vmlinuz and DIR/PREFIX-initrd.')
    .version(kilnVersion(), '--version', 'print the kiln version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .requiredOption('-i, --image <file>', 'the disk image (raw or qcow2)')
    .option('-d, --dir <dir>', 'folder to write into (default: the current folder)')
    .option('-o, --output <prefix>', 'file name prefix (default: the image name without its extension)')
    .option('--logfile <file>', 'log every command run to this file')
    .option('--debug', 'show stack traces')
    .addHelpText('after', `\nExamples:\n${EXAMPLES}\n`)
    .exitOverride()
    // runCommand prints commander's errors in kiln's layout.
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: () => undefined });
}

/** Entry point of disk-image-get-kernel; resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCommand('disk-image-get-kernel', argv, async ({ signal }) => {
    const program = defineCommand();
    program.parse(argv, { from: 'user' });
    const options = checkOptions(program.opts<{ image: string; dir?: string; output?: string; logfile?: string }>(), process.cwd());
    checkImageReadTools();
    const log: LogSink & { close?: () => void } = options.logfile ? new FileLog(options.logfile) : nullLog;
    for (const cleared of await clearLeftovers(tmpdir(), log)) process.stderr.write(`disk-image-get-kernel: warning: ${describeCleared(cleared)}\n`);
    const stack = new ResourceStack();
    try {
      // The kernel and the initrd appear together, once both are complete.
      await using outputs = await OutputSet.open(join(options.outDir, options.prefix), log);
      const found = await outputs.run(() => getKernel({ image: options.image, outDir: options.outDir, prefix: options.prefix, log, signal, stack }));
      await outputs.commit();
      process.stdout.write(`${found.kernel}\n${found.initrd}\n`);
      process.stderr.write(`disk-image-get-kernel: kernel ${found.version} from ${found.volume} of ${options.image}\n`);
      return 0;
    } finally {
      await stack.disposeAsync();
      log.close?.();
    }
  });
}
