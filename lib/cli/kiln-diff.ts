// kiln-diff A B: what differs between two outputs of kiln, header by header and file by file,
// and what it amounts to ("timestamps only", or which contents, owners and modes differ).
// Exit status as diff(1): 0 identical, 1 different, 2 trouble.
import { Command, Option } from 'commander';
import { resolve } from 'node:path';
import { diffOutputs, type DiffReport } from '../diff/compare.js';
import { InterruptedError, KilnError, UsageError } from '../errors.js';
import { nullLog } from '../log.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { kilnVersion } from '../version.js';
import { runCommand } from './main.js';

/** The report as text; at most `limit` differences per section are listed. */
export function renderReport(report: DiffReport, limit: number): string {
  if (report.identical) return `${report.a} and ${report.b} are identical\n`;
  const lines = [`--- ${report.a}`, `+++ ${report.b}`];
  for (const section of report.sections) {
    if (!section.differences.length) continue;
    lines.push('', `${section.title}: ${section.differences.length} difference${section.differences.length === 1 ? '' : 's'}`);
    for (const d of section.differences.slice(0, limit)) {
      const where = d.where === 'header' ? 'header' : `/${d.where.replace(/^\.\/?/, '')}`;
      if (d.kind === 'only-in-a' || d.kind === 'only-in-b') lines.push(`  ${where}: only in ${d.kind === 'only-in-a' ? 'A' : 'B'} (${d.kind === 'only-in-a' ? d.a : d.b})`);
      else lines.push(`  ${where} ${d.field}: ${d.a} -> ${d.b}`);
    }
    if (section.differences.length > limit) lines.push(`  ... and ${section.differences.length - limit} more`);
  }
  lines.push('', `verdict: ${report.verdict}`);
  return `${lines.join('\n')}\n`;
}

/** Entry point of kiln-diff. */
export function main(argv: string[]): Promise<number> {
  return runCommand('kiln-diff', argv, async (interrupts) => {
    const program = new Command('kiln-diff')
      .description('Show what differs between two outputs of kiln (tar, tgz, tar.zst, squashfs, raw, qcow2, vhd, vmdk, vdi, initramfs, kernel, manifest or SBOM)')
      .version(kilnVersion(), '--version', 'print the kiln version and exit')
      .helpOption('-h, --help', 'show this help and exit')
      .argument('<a>', 'the first output')
      .argument('<b>', 'the second output')
      .option('--json', 'print the report as one JSON document')
      .addOption(new Option('--max <count>', 'differences listed per section').default('40').argParser((v) => Number(v)))
      .option('--debug', 'show stack traces')
      .addHelpText('after', '\nExit status: 0 identical, 1 different, 2 trouble.\nDisk images are mounted read-only: that needs root (or the sudoers.d/kiln rule).\n');
    program.exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    program.parse(argv, { from: 'user' });
    const [a, b] = program.args.map((p) => resolve(p)) as [string, string];
    const options = program.opts<{ json?: boolean; max: number }>();
    await using stack = new ResourceStack();
    interrupts.signal.throwIfAborted();
    let report: DiffReport;
    try {
      report = await diffOutputs(stack, a, b, nullLog);
    } catch (error) {
      // Exit status 1 means "different": every failure is 2 (or the interruption's own).
      if (error instanceof UsageError || error instanceof InterruptedError) throw error;
      const hint = error instanceof KilnError ? error.hint : 'kiln-diff reads the outputs kiln writes; is one of them damaged?';
      throw new KilnError(`cannot compare ${a} and ${b}: ${(error as Error).message}`, { exitCode: 2, cause: error, ...(hint ? { hint } : {}) });
    }
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report, Number.isFinite(options.max) ? options.max : 40));
    return report.identical ? 0 : 1;
  });
}
