# Defaults of the debian flavour; every value can be set in the caller's environment.
export DISTRO_NAME=debian
export DIB_RELEASE=${DIB_RELEASE:-bookworm}
export DIB_DISTRIBUTION_MIRROR=${DIB_DISTRIBUTION_MIRROR:-http://deb.debian.org/debian}
export DIB_DEBIAN_COMPONENTS=${DIB_DEBIAN_COMPONENTS:-main}
export DIB_DEBIAN_SECURITY_MIRROR=${DIB_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
case "$DIB_RELEASE" in
    sid|unstable) kiln_security_default='' ;;
    stretch|buster) kiln_security_default='/updates' ;;
    *) kiln_security_default='-security' ;;
esac
export DIB_DEBIAN_SECURITY_SUBPATH=${DIB_DEBIAN_SECURITY_SUBPATH-$kiln_security_default}
unset kiln_security_default
