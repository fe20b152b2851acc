// kiln-write-disk IMAGE DEVICE: write an image kiln made (qcow2, raw, vhd, vmdk, vdi) to a real
// disk, safely: see lib/write-disk/write-disk.ts for the steps.
import { Command } from 'commander';
import { formatBytes } from '../config/size.js';
import { FileLog, nullLog, type LogSink } from '../log.js';
import type { Progress } from '../write-disk/copy.js';
import { writeDisk } from '../write-disk/write-disk.js';
import { kilnVersion } from '../version.js';
import { runCommand } from './main.js';

const NAME = 'kiln-write-disk';

const EXAMPLES = `
Examples:
  kiln-write-disk demo.qcow2 /dev/sdb            asks first, showing the disk's model, size and partitions
  kiln-write-disk --yes --grow demo.qcow2 /dev/sdb   no question; the last partition fills the disk
  kiln-write-disk --sparse demo.raw /dev/nvme1n1      a new or discarded disk: zero blocks are not written

Refused, with exit code 2 and nothing written: a device that is mounted or has a mounted
partition, is used as swap, is held by device-mapper/RAID/bcache, carries an LVM, RAID or ZFS
member signature, is read-only, or is smaller than the image's disk. A damaged or truncated
image fails before writing; a read error while writing fails the run (nothing is padded).`;

/** One progress line (pure). */
export function progressLine(p: Progress, elapsedMs: number): string {
  const percent = p.total ? Math.floor((p.done / p.total) * 100) : 100;
  const rate = elapsedMs > 0 ? p.done / (elapsedMs / 1000) : 0;
  const left = rate > 0 ? Math.ceil((p.total - p.done) / rate) : undefined;
  const verb = p.stage === 'write' ? 'writing' : 'verifying';
  const skipped = p.stage === 'write' && p.skipped ? `, ${formatBytes(p.skipped)} of zeros skipped` : '';
  return `${verb} ${formatBytes(p.done)} of ${formatBytes(p.total)} (${percent}%), ${formatBytes(rate)}/s${skipped}${left === undefined ? '' : `, ${left} s left`}`;
}

/** Progress on stderr: one rewritten line on a terminal, a line per 10% otherwise (logs). */
function progressReporter(stream: NodeJS.WriteStream): (p: Progress) => void {
  let stage = '';
  let started = Date.now();
  let lastShown = 0;
  let lastDecile = -1;
  return (p) => {
    if (p.stage !== stage) {
      if (stream.isTTY && stage) stream.write('\n');
      stage = p.stage;
      started = Date.now();
      lastDecile = -1;
    }
    const now = Date.now();
    const decile = Math.floor((p.done / p.total) * 10);
    if (stream.isTTY ? now - lastShown >= 250 || p.done === p.total : decile > lastDecile) {
      stream.write(stream.isTTY ? `\r${progressLine(p, now - started)}\u001b[K${p.done === p.total ? '\n' : ''}` : `${progressLine(p, now - started)}\n`);
      lastShown = now;
      lastDecile = decile;
    }
  };
}

interface Flags {
  yes?: boolean;
  sparse?: boolean;
  grow?: boolean;
  logfile?: string;
}

/** Entry point of kiln-write-disk; resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCommand(NAME, argv, async ({ signal }) => {
    const program = new Command(NAME)
      .description('Write a disk image (qcow2, raw, vhd, vmdk, vdi) to a block device, safely: refuse a device in use, ask first, verify.')
      .version(kilnVersion(), '--version', 'print the kiln version and exit')
      .helpOption('-h, --help', 'show this help and exit')
      .argument('<image>', 'the image file')
      .argument('<device>', 'the whole-disk block device to overwrite (e.g. /dev/sdb)')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--sparse', 'the device reads zeros (new or discarded): do not write zero blocks, not even where it holds data')
      .option('--grow', 'grow the last partition to the end of the device')
      .option('--logfile <file>', 'log the commands run and their output here')
      .option('--debug', 'show stack traces')
      .addHelpText('after', EXAMPLES)
      .exitOverride()
      .configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    program.parse(argv, { from: 'user' });
    const flags = program.opts<Flags>();
    const [image, device] = program.args as [string, string];
    const log: LogSink & { close?: () => void } = flags.logfile ? new FileLog(flags.logfile) : nullLog;
    const say = (message: string): void => void process.stderr.write(`${NAME}: ${message}\n`);
    try {
      const result = await writeDisk({
        image, device, yes: flags.yes ?? false, sparse: flags.sparse ?? false, grow: flags.grow ?? false, log, signal,
        input: process.stdin, output: process.stderr, onProgress: progressReporter(process.stderr), onStep: say,
      });
      if (!result.reread) say(`the kernel has not re-read the partition table of ${device}: run partprobe, or unplug and plug the disk, before using its partitions`);
      say(`done: ${image} is on ${device}`);
      return 0;
    } finally {
      log.close?.();
    }
  });
}
