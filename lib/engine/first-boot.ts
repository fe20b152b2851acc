// first-boot.d: the hooks are copied into the image with a one-shot runner. A systemd unit runs
// them in order at the first boot, before rc.local and the login prompts, logging to the console
// and /var/log/first-boot.d.log; a failing hook is reported and the boot goes on; the runner then
// disables itself so the hooks never run again.
import type { Hook } from '../flavours/hooks.js';
import type { LogSink } from '../log.js';
import { installImageFile, linkImageFile, writeImageFile } from '../resources/root-files.js';

/** Where the hooks live inside the image. */
const FIRST_BOOT_DIR = '/etc/first-boot.d';

/** The runner installed as /usr/local/sbin/kiln-first-boot. */
function firstBootRunner(): string {
  return `#!/bin/bash
# Installed by kiln: runs the hooks in ${FIRST_BOOT_DIR} once, at the first boot, in the order
# \`LC_ALL=C sort -n\` gives. Output goes to the console and /var/log/first-boot.d.log. A failing
# hook is reported and the others still run; then the runner disables itself.
LOG=/var/log/first-boot.d.log
STAMP=/var/lib/kiln/first-boot.done
[ -e "$STAMP" ] && exit 0
console() { if [ -w /dev/console ]; then cat > /dev/console; else cat > /dev/null; fi; }
say() { echo "first-boot: $*" | tee -a "$LOG" | console; }
say "running first-boot hooks"
for hook in $(ls ${FIRST_BOOT_DIR} 2>/dev/null | LC_ALL=C sort -n); do
    path="${FIRST_BOOT_DIR}/$hook"
    [ -f "$path" ] && [ -x "$path" ] || continue
    say "running $hook"
    "$path" > >(tee -a "$LOG" | console) 2>&1
    rc=$?
    if [ "$rc" -ne 0 ]; then say "hook $hook FAILED with exit code $rc (boot continues)"; fi
done
mkdir -p "$(dirname "$STAMP")" && touch "$STAMP"
systemctl disable kiln-first-boot.service > /dev/null 2>&1 || true
say "first-boot hooks done"
exit 0
`;
}

/** The systemd unit: once, after local filesystems and network, before getty and rc.local. */
const FIRST_BOOT_UNIT = `[Unit]
Description=kiln first-boot hooks (${FIRST_BOOT_DIR})
After=local-fs.target network.target systemd-networkd.service
Wants=network.target
Before=rc-local.service getty.target serial-getty@ttyS0.service getty@tty1.service systemd-user-sessions.service
ConditionPathExists=!/var/lib/kiln/first-boot.done

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/kiln-first-boot
RemainAfterExit=yes
StandardOutput=journal+console
TimeoutSec=0

[Install]
WantedBy=multi-user.target
`;

/** Copies the first-boot hooks into the image and installs and enables the runner. */
export async function installFirstBoot(root: string, hooks: readonly Hook[], log: LogSink): Promise<void> {
  if (!hooks.length) return;
  const tree = { root, log };
  for (const hook of hooks) await installImageFile(tree, hook.path, `${FIRST_BOOT_DIR}/${hook.name}`, 0o755);
  await writeImageFile(tree, 'usr/local/sbin/kiln-first-boot', firstBootRunner(), 0o755);
  await writeImageFile(tree, 'etc/systemd/system/kiln-first-boot.service', FIRST_BOOT_UNIT, 0o644);
  await linkImageFile(tree, '/etc/systemd/system/kiln-first-boot.service', 'etc/systemd/system/multi-user.target.wants/kiln-first-boot.service');
}
