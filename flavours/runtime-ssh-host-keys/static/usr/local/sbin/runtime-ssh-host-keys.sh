#!/bin/sh
# runtime-ssh-host-keys (installed by kiln's runtime-ssh-host-keys flavour): creates this
# machine's missing SSH host keys of every default type; existing keys are kept.
set -eu
mkdir -p /etc/ssh
ssh-keygen -A
for key in /etc/ssh/ssh_host_*_key.pub; do
    [ -f "$key" ] && echo "runtime-ssh-host-keys: $(ssh-keygen -l -f "$key")"
done
