// Which kernel of an image's /boot to use, and its initrd: diskimage-builder's rules
// (select_boot_kernel_initrd): the newest `vmlinu[xz]-VERSION` by version order, preferring
// `*generic` kernels (Ubuntu) and non-debug ones (Red Hat), unless a version is asked for
// (DIB_KERNEL_VERSION); its initrd is the file of the same version (Debian `initrd.img-V`,
// Red Hat `initramfs-V.img`). Pure: works on the names in /boot.

/** A kernel found in /boot. */
export interface BootKernel {
  version: string;
  /** File name of the kernel in /boot. */
  kernel: string;
  /** File name of its initrd in /boot, if there is one. */
  initrd: string | undefined;
}

/** Compares versions the way `sort -V` does for kernel names (digit runs as numbers; `~` first). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string): string[] => v.match(/\d+|~|[^\d~]+/g) ?? [];
  const x = parts(a);
  const y = parts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === q) continue;
    if (p === undefined) return q === '~' ? 1 : -1;
    if (q === undefined) return p === '~' ? -1 : 1;
    if (p === '~' || q === '~') return p === '~' ? -1 : 1;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) {
      const d = Number(p) - Number(q);
      if (d !== 0) return d < 0 ? -1 : 1;
      continue;
    }
    if (pn !== qn) return pn ? 1 : -1;
    return p < q ? -1 : 1;
  }
  return 0;
}

const KERNEL_NAME = /^vmlinu[xz]-(.+)$/;

/** The initrd of `version` among `names`, if any. */
function initrdFor(names: readonly string[], version: string): string | undefined {
  const candidates = [`initrd.img-${version}`, `initramfs-${version}.img`, `initrd-${version}.img`, `initrd-${version}`, `initramfs-${version}`];
  return candidates.find((c) => names.includes(c));
}

/** Kernel versions in `names` (file names in /boot), newest first, preferred kinds first. */
function kernelVersions(names: readonly string[]): { version: string; kernel: string }[] {
  const kernels = names
    .map((name) => ({ name, match: KERNEL_NAME.exec(name) }))
    .filter((k): k is { name: string; match: RegExpExecArray } => k.match !== null && !k.name.endsWith('.old'))
    .map((k) => ({ version: k.match[1]!, kernel: k.name }));
  const rank = (v: string): number => (v.endsWith('generic') ? 0 : 1) + (/debug/.test(v) ? 2 : 0) + (/rescue/.test(v) ? 4 : 0);
  return kernels.sort((a, b) => rank(a.version) - rank(b.version) || compareVersions(b.version, a.version));
}

/** The kernel to use: the one of `wanted` version, else the newest preferred one. */
export function selectKernel(names: readonly string[], wanted?: string): BootKernel | undefined {
  const all = kernelVersions(names);
  const chosen = wanted ? all.find((k) => k.version === wanted) : all[0];
  return chosen ? { ...chosen, initrd: initrdFor(names, chosen.version) } : undefined;
}
