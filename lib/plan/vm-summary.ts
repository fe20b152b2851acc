// What the plan says about a --vm build's VM (computed by vm/vm-plan.ts, which can look at the
// cache and /dev/kvm), and how the dry run shows it. Pure.

/** The VM part of the plan (JSON: the `vm` section of `--dry-run --json`). */
export interface VmSummary {
  memoryMiB: number;
  cpus: number;
  /** What the build will run on, as far as can be told without starting QEMU. */
  accel: string;
  builder: { dir: string; present: boolean };
  scratchDiskBytes: number;
  shared: string[];
}

/** The VM section as text. */
export function vmSummaryText(vm: VmSummary): string {
  const gib = (bytes: number): string => `${Math.round(bytes / 1024 ** 3)} GiB`;
  return [
    '', 'Build VM (--vm): every phase runs inside it; outputs, log and progress come back here:',
    `  memory ${vm.memoryMiB} MiB, ${vm.cpus} CPU${vm.cpus > 1 ? 's' : ''}, scratch disk ${gib(vm.scratchDiskBytes)} (sparse)`,
    `  accelerator: ${vm.accel}`,
    `  builder image: ${vm.builder.dir}${vm.builder.present ? '' : ' (not there yet: built first, once, as root)'}`,
    '  shared with it:',
    ...vm.shared.map((s) => `    ${s}`),
  ].join('\n');
}
