# Values that depend on the release, computed like diskimage-builder's debian-minimal does.

# DIB_DEBIAN_DISTRIBUTION_MIRROR, when set, wins over DIB_DISTRIBUTION_MIRROR (as in DIB).
# (declare, not NAME=..., so kiln's plan keeps showing 10-debian's default as the value.)
if [ -n "${DIB_DEBIAN_DISTRIBUTION_MIRROR:-}" ]; then
    declare -gx DIB_DISTRIBUTION_MIRROR="$DIB_DEBIAN_DISTRIBUTION_MIRROR"
fi

# Components are comma-separated (DIB); apt wants them separated by spaces.
export DIB_DEBIAN_COMPONENTS_WS=${DIB_DEBIAN_COMPONENTS//,/ }

# Security suite: <release>-security since bullseye, <release>/updates before; sid/unstable and
# experimental have no security or -updates suite. The suite is PATH + SUBPATH (DIB's names).
case "$DIB_RELEASE" in
    sid|unstable|experimental|rc-buggy)
        export DIB_DEBIAN_SECURITY_PATH=${DIB_DEBIAN_SECURITY_PATH:-}
        export DIB_DEBIAN_SECURITY_SUBPATH=${DIB_DEBIAN_SECURITY_SUBPATH:-}
        export DIB_DEBIAN_UPDATES_SUITE=${DIB_DEBIAN_UPDATES_SUITE:-}
        ;;
    wheezy|jessie|stretch|buster)
        export DIB_DEBIAN_SECURITY_PATH=${DIB_DEBIAN_SECURITY_PATH:-$DIB_RELEASE}
        export DIB_DEBIAN_SECURITY_SUBPATH=${DIB_DEBIAN_SECURITY_SUBPATH:-/updates}
        export DIB_DEBIAN_UPDATES_SUITE=${DIB_DEBIAN_UPDATES_SUITE:-$DIB_RELEASE-updates}
        ;;
    *)
        export DIB_DEBIAN_SECURITY_PATH=${DIB_DEBIAN_SECURITY_PATH:-$DIB_RELEASE-security}
        export DIB_DEBIAN_SECURITY_SUBPATH=${DIB_DEBIAN_SECURITY_SUBPATH:-}
        export DIB_DEBIAN_UPDATES_SUITE=${DIB_DEBIAN_UPDATES_SUITE:-$DIB_RELEASE-updates}
        ;;
esac
