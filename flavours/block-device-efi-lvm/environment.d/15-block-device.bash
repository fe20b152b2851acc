# Sourced before every hook. Power machines boot from a PReP partition, which this layout lacks.
if [[ "${ARCH:-}" == ppc64* ]]; then
    echo "block-device-efi-lvm is not supported on Power; use block-device-gpt or block-device-mbr" >&2
    exit 1
fi

export DIB_BLOCK_DEVICE=efi
