// --boot-test: boots the finished disk image under QEMU (TCG) with every firmware its layout
// supports, without changing the image (qemu -snapshot), and fails unless the console reaches
// a login prompt, after the first-boot hooks if the image has any.
import { join } from 'node:path';
import { boot, type Firmware } from './qemu.js';

/** What the boot test waits for. */
function bootMarker(hasFirstBoot: boolean): RegExp {
  return hasFirstBoot ? /first-boot: first-boot hooks done[\s\S]*login:/ : /login:/;
}

/** Console text that ends a boot test at once. */
export const BOOT_FAILURE = /Kernel panic|You are in emergency mode|Give root password for maintenance|grub rescue>|No bootable device/;

/** Boots `image` once per firmware; returns seconds per boot. */
export async function bootTestImage(opts: {
  image: string;
  format: string;
  firmwares: Firmware[];
  hasFirstBoot: boolean;
  workDir: string;
  consoleLogPrefix: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}): Promise<{ firmware: Firmware; seconds: number }[]> {
  const results: { firmware: Firmware; seconds: number }[] = [];
  for (const firmware of opts.firmwares) {
    const result = await boot({
      disks: [{ path: opts.image, format: opts.format }],
      firmware,
      snapshot: true,
      marker: bootMarker(opts.hasFirstBoot),
      failure: BOOT_FAILURE,
      timeoutMs: opts.timeoutMs ?? 300_000,
      consoleLog: `${opts.consoleLogPrefix}.${firmware}.console.log`,
      varsPath: join(opts.workDir, `OVMF_VARS.${firmware}.fd`),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    results.push({ firmware, seconds: result.seconds });
  }
  return results;
}
