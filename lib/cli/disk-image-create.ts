// disk-image-create: build an image from flavours.
import { printable } from '../report/printable.js';
import { renderDryRun } from '../plan/print.js';
import { resolveBuild } from '../plan/resolved-build.js';
import { runBuild, withVmSummary } from '../vm/run-build.js';
import { defineBuildCommand, parseBuildArgs, progressSinks } from '../spec/command-line.js';
import { runCommand } from './main.js';

const EXAMPLES = `  disk-image-create -o demo debian vm                 bootable Debian qcow2 (BIOS, MBR)
  disk-image-create -t raw,qcow2 -o web debian vm block-device-efi my-web
                                                      BIOS+UEFI image, two formats
  disk-image-create -t tar.zst -o rootfs debian       root filesystem tarball
  disk-image-create --dry-run debian vm               show what would run, change nothing
  ELEMENTS_PATH=~/elements disk-image-create debian vm my-element
                                                      use diskimage-builder elements`;

/** Entry point of the disk-image-create command; resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCommand('disk-image-create', argv, async (interrupts) => {
    const program = defineBuildCommand('disk-image-create', 'disk', 'Build an operating-system image by mixing flavours.', EXAMPLES);
    const { flags, request } = parseBuildArgs(program, 'disk', argv);
    const plan = withVmSummary(await resolveBuild(request));
    if (flags.dryRun) {
      process.stdout.write(flags.json ? renderDryRun(plan, true) : printable(renderDryRun(plan, false)));
      return 0;
    }
    return runBuild(plan, { ...interrupts, debug: flags.debug ?? false, sinks: progressSinks(flags) });
  });
}
