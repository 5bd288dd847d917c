#!/usr/bin/env bash
# The payload that proves the handoff, built without root into DIR:
#   DIR/vmlinuz     Debian's kernel: /boot/vmlinuz-* of the package
#                   linux-image-amd64 depends on (downloaded, extracted, not
#                   installed)
#   DIR/initrd.img  a cpio of busybox-static whose /init prints the marker
#                   "hvboot-handoff-ok" on the console and powers off
#   payload.sh DIR MKCPIO
set -euo pipefail
dir=$(realpath -m "$1") mkcpio=$(realpath "$2")
mkdir -p "$dir"
cd "$dir"
if [ ! -s vmlinuz ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
	if [ -z "$pkg" ]; then
		echo "payload.sh: apt knows no linux-image-amd64 (apt-get update?)" >&2
		exit 1
	fi
	rm -rf deb && mkdir deb
	(cd deb && apt-get download "$pkg" >/dev/null) || {
		echo "payload.sh: cannot download $pkg" >&2
		exit 1
	}
	dpkg-deb --fsys-tarfile deb/*.deb | tar -x -C deb --wildcards './boot/vmlinuz-*'
	cp deb/boot/vmlinuz-* vmlinuz.tmp && mv vmlinuz.tmp vmlinuz
	rm -rf deb
	echo "payload: kernel from $pkg ($(stat -c %s vmlinuz) bytes)"
fi
if [ ! -s initrd.img ]; then
	[ -x /bin/busybox ] || { echo "payload.sh: /bin/busybox missing: install busybox-static" >&2; exit 1; }
	cat > init <<'INIT'
#!/bin/busybox sh
# hvboot's proof of handoff: Linux started from what hvboot loaded.
/bin/busybox mount -t proc proc /proc
/bin/busybox echo "hvboot-handoff-ok: Linux $(/bin/busybox uname -r) is running"
/bin/busybox echo "cmdline: $(/bin/busybox cat /proc/cmdline)"
/bin/busybox poweroff -f
INIT
	"$mkcpio" initrd.img d:bin:755 d:dev:755 d:proc:755 c:dev/console:600:5:1 \
		f:bin/busybox:755:/bin/busybox f:init:755:init
	rm -f init
	echo "payload: initrd with busybox ($(stat -c %s initrd.img) bytes)"
fi
