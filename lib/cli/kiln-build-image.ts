// kiln-build-image SPEC: builds what one document describes. SPEC is a JSON string, a JSON or
// YAML file, or `-` for standard input, in kiln's spec format or Fuel's (per-mount-point
// filesystem images). Made for programs (deployment tools, CI jobs, kiln's build service): no
// other option changes what is built.
import { printable } from '../report/printable.js';
import { Command } from 'commander';
import { runBuild, withVmSummary } from '../vm/run-build.js';
import { renderDryRun } from '../plan/print.js';
import { resolveBuild } from '../plan/resolved-build.js';
import { loadSpec } from '../spec/load.js';
import { specRequest } from '../spec/request.js';
import { kilnVersion } from '../version.js';
import { runCommand } from './main.js';

const EXAMPLES = `  kiln-build-image web.yaml                          build what web.yaml describes
  kiln-build-image '{"flavours": ["debian", "vm"], "name": "demo"}'
  kiln-build-image - < fuel-image.json               Fuel's document: per-mount-point images + metadata
  kiln-build-image --dry-run --json web.yaml         the plan, as disk-image-create --dry-run shows it`;

interface Flags {
  dryRun?: boolean;
  json?: boolean;
  debug?: boolean;
}

function defineCommand(): Command {
  return new Command('kiln-build-image')
    .description('Build the images one build spec describes (kiln\'s format or Fuel\'s; JSON or YAML).')
    .version(kilnVersion(), '--version', 'print the kiln version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .argument('<spec>', 'the spec: a JSON string, a JSON or YAML file, or - for standard input')
    .option('--dry-run', 'print the build plan and exit: needs no root and changes nothing')
    .option('--json', 'with --dry-run: print the plan as one JSON document')
    .option('--debug', 'show stack traces and the exact commands kiln runs')
    .addHelpText('after', `\nThe formats: schema/kiln-build-spec.schema.json and schema/fuel-build-image.schema.json.\n\nExamples:\n${EXAMPLES}\n`)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined });
}

/** Entry point of the kiln-build-image command; resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCommand('kiln-build-image', argv, async (interrupts) => {
    const program = defineCommand();
    program.parse(argv, { from: 'user' });
    const flags = program.opts<Flags>();
    const loaded = loadSpec(program.args[0]!);
    const request = specRequest(loaded, { env: process.env, cwd: process.cwd() });
    const plan = withVmSummary(await resolveBuild(request, request.kind === 'ramdisk' ? { prepend: ['ramdisk'] } : {}));
    if (flags.dryRun) {
      process.stdout.write(flags.json ? renderDryRun(plan, true) : printable(renderDryRun(plan, false)));
      return 0;
    }
    return runBuild(plan, { ...interrupts, debug: flags.debug ?? false });
  });
}
