# Sourced before every hook. The layout is written for BIOS machines (grub i386-pc); arm64
# firmware boots only through UEFI, so refuse early rather than build an image that cannot boot.
if [[ "${ARCH:-}" == arm64 || "${ARCH:-}" == aarch64 ]]; then
    echo "block-device-gpt is not supported on arm64; use block-device-efi" >&2
    exit 1
fi

export DIB_BLOCK_DEVICE=gpt
