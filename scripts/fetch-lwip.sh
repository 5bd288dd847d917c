#!/usr/bin/env bash
# Makes sure lwIP 2.1.3 (Debian's source package "lwip", the full upstream
# tree) is unpacked under build/lwip-src and prints where; build/lwip-src/lwip
# points at the tree. Idempotent: a tree already there is only checked.
# The source is fetched at build time and never committed. It comes from
# Debian's signed Sources index, so it needs a deb-src entry for bookworm
# main: this script adds its own file for that when it can (as root), else
# prints the commands to run.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dest=$top/build/lwip-src
link=$dest/lwip
want=2.1.3
srcfile=/etc/apt/sources.list.d/hvboot-src.sources

# The tree is complete when the symlink exists: it is made last.
tree_ok() {
	[ -L "$link" ] && [ -f "$link/src/core/tcp.c" ] &&
		grep -q "LWIP_VERSION_MAJOR *2U\?\b" "$link/src/include/lwip/init.h" &&
		grep -q "LWIP_VERSION_MINOR *1U\?\b" "$link/src/include/lwip/init.h" &&
		grep -q "LWIP_VERSION_REVISION *3U\?\b" "$link/src/include/lwip/init.h"
}

if tree_ok; then
	echo "$link"
	exit 0
fi

for tool in apt-get apt-cache dpkg-source; do
	if ! command -v "$tool" >/dev/null; then
		echo "hvboot: fetching lwIP needs $tool (Debian package dpkg-dev for dpkg-source; make deps)" >&2
		exit 1
	fi
done

# Any deb-src line or stanza for the lwip source package will do; ours is
# the fallback.
if ! apt-cache showsrc lwip 2>/dev/null | grep -q "^Version: $want"; then
	stanza="Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
	if [ "$(id -u)" -ne 0 ]; then
		echo "hvboot: lwIP's source needs a deb-src entry for Debian bookworm main. As root run:" >&2
		[ -f "$srcfile" ] ||
			echo "  printf '%s\\n' '${stanza//$'\n'/"' '"}' > $srcfile" >&2
		echo "  apt-get update" >&2
		echo "then run $0 again." >&2
		exit 1
	fi
	if [ ! -f "$srcfile" ]; then
		echo "hvboot: adding $srcfile (deb-src for bookworm main)" >&2
		printf '%s\n' "$stanza" >"$srcfile"
	fi
	apt-get update -qq
	if ! apt-cache showsrc lwip 2>/dev/null | grep -q "^Version: $want"; then
		echo "hvboot: apt has no source package lwip $want after adding $srcfile; check the entry and the network" >&2
		exit 1
	fi
fi

# Fetch into a scratch directory next to the destination, then move the
# unpacked tree into place, so an interrupted run leaves no half tree.
mkdir -p "$dest"
work=$(mktemp -d "$dest/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
# apt drops privileges to _apt for downloads; that user cannot write a
# directory under someone's home, so give it the scratch directory.
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
	chown _apt "$work"
fi
(cd "$work" && apt-get source -qq "lwip" >/dev/null)
tree=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name "lwip-$want*" | head -n 1)
if [ -z "$tree" ] || [ ! -f "$tree/src/core/tcp.c" ]; then
	echo "hvboot: apt-get source lwip did not unpack an lwip-$want tree in $work" >&2
	exit 1
fi
name=$(basename "$tree")
rm -rf "${dest:?}/$name"
mv "$tree" "$dest/$name"
ln -sfn "$name" "$link"
if ! tree_ok; then
	echo "hvboot: $dest/$name is not lwIP $want (see src/include/lwip/init.h)" >&2
	exit 1
fi
echo "$link"
