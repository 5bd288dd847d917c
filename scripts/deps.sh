#!/usr/bin/env bash
# Installs the Debian packages hvboot needs, if any is missing, then makes
# sure lwIP's source is unpacked under build/ (scripts/fetch-lwip.sh).
# Idempotent.
#   --check-or-install  install when root, else print the apt-get command and fail
#   --install           same (the target of `make deps`)
set -euo pipefail

# libslirp-dev: hvsim's slirp network backend; its pkg-config file needs
# glib's (libglib2.0-dev). dpkg-dev and xz-utils unpack lwIP's source
# package. nasm assembles the jump into Linux (arch/x86_64/linux_entry.asm).
PACKAGES=(gcc make libc6-dev clang libclang-rt-14-dev mtools dosfstools gdisk
	pkg-config libslirp-dev libglib2.0-dev dpkg-dev xz-utils curl nasm)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
	cmd="apt-get install -y --no-install-recommends ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "hvboot: missing Debian packages: ${missing[*]}" >&2
		echo "hvboot: run as root: apt-get update && $cmd" >&2
		exit 1
	fi
	echo "hvboot: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	$cmd
fi

"$(dirname "$0")/fetch-lwip.sh" >/dev/null
