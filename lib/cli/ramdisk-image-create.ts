// ramdisk-image-create: build a kernel + initramfs pair from flavours (the `ramdisk` flavour is
// added first, as diskimage-builder does).
import { renderDryRun } from '../plan/print.js';
import { resolveBuild } from '../plan/resolved-build.js';
import { runBuild, withVmSummary } from '../vm/run-build.js';
import { defineBuildCommand, parseBuildArgs, progressSinks } from '../spec/command-line.js';
import { runCommand } from './main.js';

const EXAMPLES = `  ramdisk-image-create -o deploy debian deploy        deploy ramdisk: deploy.kernel + deploy.initramfs
  ramdisk-image-create --compress gzip -o rescue debian deploy
  ramdisk-image-create --dry-run debian deploy         show what would run, change nothing`;

/** Entry point of the ramdisk-image-create command; resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCommand('ramdisk-image-create', argv, async (interrupts) => {
    const program = defineBuildCommand('ramdisk-image-create', 'ramdisk', 'Build a kernel and ramdisk pair for bare-metal maintenance (deploy, inventory).', EXAMPLES);
    const { flags, request } = parseBuildArgs(program, 'ramdisk', argv);
    const plan = withVmSummary(await resolveBuild(request, { prepend: ['ramdisk'] }));
    if (flags.dryRun) {
      process.stdout.write(renderDryRun(plan, flags.json ?? false));
      return 0;
    }
    return runBuild(plan, { ...interrupts, debug: flags.debug ?? false, sinks: progressSinks(flags) });
  });
}
