// The ramdisk's /init: kiln's base script (busybox sh), then every flavour's `init` fragment in
// hook order (`LANG=C sort -n` of the fragment names), then the end. The base mounts the kernel
// filesystems, loads the modules the hardware asks for (modalias coldplug with busybox
// modprobe), waits for disks and defines helpers for the fragments. Each fragment runs in its own
// subshell: an `exit` or a failing command in one cannot kill PID 1 (a kernel panic), and the
// failure is reported with the flavour's name. Fragments talk to the end through files in
// /run/kiln (kiln_end_with poweroff). Pure: builds text.

/** One init fragment of a flavour. */
export interface InitFragment {
  flavour: string;
  /** Its name, e.g. `init.d/50-deploy` (for the comment and failure messages). */
  name: string;
  text: string;
}

/** The udhcpc event script: applies a DHCP lease with busybox ip (the ramdisk has no ifupdown). */
export const UDHCPC_SCRIPT = `#!/bin/sh
# udhcpc event script of kiln's ramdisk (busybox udhcpc sets interface, ip, mask, router, dns, domain).
case "$1" in
deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" \${broadcast:+broadcast "$broadcast"} dev "$interface"
    if [ -n "\${router:-}" ]; then
        while ip route del default dev "$interface" 2>/dev/null; do :; done
        for gw in $router; do ip route add default via "$gw" dev "$interface" && break; done
    fi
    : > /etc/resolv.conf
    [ -z "\${domain:-}" ] || echo "search $domain" >> /etc/resolv.conf
    for server in \${dns:-}; do echo "nameserver $server" >> /etc/resolv.conf; done
    mkdir -p /run/kiln/net
    echo "$ip/\${mask:-24}" > "/run/kiln/net/$interface"
    ;;
esac
exit 0
`;

/** Path of the udhcpc script inside the ramdisk. */
export const UDHCPC_SCRIPT_PATH = '/usr/share/kiln/udhcpc.script';

const BASE = `#!/bin/sh
# /init of a kiln ramdisk: kiln's base, then the flavours' init fragments, then the end.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=linux

# Only /bin/sh is linked at build time: mount /proc, then let busybox link its applets
# (existing files, the real programs flavours asked for, are kept).
busybox mkdir -p /dev /proc /sys /run /tmp
busybox mount -t proc -o nosuid,nodev,noexec proc /proc
busybox --install -s
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev 2>/dev/null
# The kernel may have found no /dev/console before devtmpfs was mounted: reopen it now.
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
mkdir -p /dev/pts /dev/shm /run/kiln
mount -t devpts -o nosuid,noexec,gid=5,mode=0620 devpts /dev/pts 2>/dev/null
ln -sf /proc/self/fd /dev/fd 2>/dev/null
ln -sf /proc/mounts /etc/mtab 2>/dev/null
echo /sbin/modprobe > /proc/sys/kernel/modprobe
hostname kiln-ramdisk 2>/dev/null

# Messages carry the seconds since boot, to see where a slow boot spends its time.
kiln_log() { echo "kiln-init: [$(cut -d ' ' -f 1 /proc/uptime)] $*"; }

# Value of NAME=VALUE on the kernel command line; status 1 when absent.
kiln_arg() {
    for kiln_word in $(cat /proc/cmdline); do
        case "$kiln_word" in "$1="*) echo "\${kiln_word#*=}"; return 0 ;; esac
    done
    return 1
}

# True when the bare word NAME (or NAME=1/yes/true) is on the kernel command line.
kiln_flag() {
    for kiln_word in $(cat /proc/cmdline); do
        case "$kiln_word" in "$1"|"$1=1"|"$1=yes"|"$1=true") return 0 ;; esac
    done
    return 1
}

# What /init does when the fragments are done: shell (default), poweroff or reboot.
kiln_end_with() { echo "$1" > /run/kiln/end; }

# Marks the boot as failed with a message; later fragments are skipped.
kiln_fail() {
    echo "kiln-init: ERROR: $*"
    echo "$*" >> /run/kiln/failed
}

# Loads the drivers the hardware asks for, until no new device appears (buses bring devices).
kiln_coldplug() {
    kiln_before=-1
    for kiln_round in 1 2 3 4 5; do
        kiln_aliases=$(find /sys/devices -name modalias -type f 2>/dev/null | xargs cat 2>/dev/null | sort -u)
        kiln_count=$(echo "$kiln_aliases" | wc -l)
        [ "$kiln_count" = "$kiln_before" ] && break
        kiln_before=$kiln_count
        # shellcheck disable=SC2086 # one word per alias
        modprobe -q -a $kiln_aliases 2>/dev/null
    done
}

# Waits up to $2 seconds (default 10) for block device $1.
kiln_wait_for_device() {
    kiln_left=$(( \${2:-10} * 10 ))
    while [ ! -b "$1" ] && [ "$kiln_left" -gt 0 ]; do usleep 100000; kiln_left=$((kiln_left - 1)); done
    [ -b "$1" ]
}

# Brings every network interface up and asks DHCP for an address (short timeout: a network
# without a DHCP server must not stall the boot). Status 0 when at least one lease was bound.
kiln_network_up() {
    [ "$(kiln_arg kiln.network)" = off ] && return 1
    ip link set lo up
    kiln_bound=1
    for kiln_if in /sys/class/net/*; do
        kiln_if=\${kiln_if##*/}
        [ "$kiln_if" = lo ] && continue
        ip link set "$kiln_if" up
        if udhcpc -i "$kiln_if" -n -q -f -t 3 -T 2 -s /usr/share/kiln/udhcpc.script >/dev/null 2>&1; then
            kiln_log "network: $kiln_if has $(cat "/run/kiln/net/$kiln_if" 2>/dev/null) from DHCP"
            kiln_bound=0
        else
            kiln_log "network: no DHCP answer on $kiln_if; carrying on without it"
        fi
    done
    return $kiln_bound
}

kiln_fragment_failed() {
    kiln_fail "init fragment $2 of flavour $1 failed (exit status $3)"
}

kiln_log "kernel $(uname -r), command line: $(cat /proc/cmdline)"
kiln_coldplug
for kiln_module in $(kiln_arg kiln.modules | tr , ' '); do modprobe "$kiln_module" || kiln_log "could not load module $kiln_module"; done
kiln_log "$(wc -l < /proc/modules) modules loaded"
`;

const END = `
# ---- end of /init (kiln) ----
kiln_action=$(cat /run/kiln/end 2>/dev/null || echo shell)
if [ -s /run/kiln/failed ]; then
    kiln_action=$(kiln_arg kiln.on-failure || echo shell)
    kiln_log "finished with errors:"
    sed 's/^/kiln-init:   /' /run/kiln/failed
fi
kiln_arg kiln.end >/dev/null && kiln_action=$(kiln_arg kiln.end)
kiln_log "end: $kiln_action"
sync
case "$kiln_action" in
poweroff) poweroff -f ;;
reboot) reboot -f ;;
esac
# PID 1 must never exit: a shell on the console, again and again.
while :; do
    echo "kiln-init: starting a shell (exit it to get a new one)"
    setsid cttyhack sh -l || sh
    sleep 1
done
`;

function fragmentBlock(fragment: InitFragment): string {
  const label = `${fragment.flavour} ${fragment.name}`.replace(/\n/g, ' ');
  const body = fragment.text.endsWith('\n') ? fragment.text : `${fragment.text}\n`;
  const quoted = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    `\n# ---- init fragment from flavour ${label} ----`,
    'if [ ! -s /run/kiln/failed ]; then',
    '(',
    body + ')',
    `kiln_status=$?; [ "$kiln_status" = 0 ] || kiln_fragment_failed ${quoted(fragment.flavour)} ${quoted(fragment.name)} "$kiln_status"`,
    'fi',
  ].join('\n');
}

/** The complete /init: base, the fragments in the order given (already hook order), end. */
export function assembleInit(fragments: readonly InitFragment[]): string {
  return `${BASE}${fragments.map(fragmentBlock).join('\n')}\n${END}`;
}
