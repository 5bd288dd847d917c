#!/usr/bin/env bash
# Builds a GPT disk image with one FAT32 EFI system partition holding the
# given files, without root: sgdisk for the table, mkfs.vfat and mcopy on the
# partition's byte range. FAT32 needs at least 64 MiB (65525 clusters).
#   mkdisk.sh IMAGE SIZE_MIB FILE[:DEST] ...
set -euo pipefail
img=$1 size=$2
shift 2
rm -f "$img"
truncate -s "${size}M" "$img"
sgdisk -o -n 1:2048:0 -t 1:ef00 -c 1:"EFI system" "$img" >/dev/null
start=2048
end=$(sgdisk -i 1 "$img" | awk '/Last sector/ {print $3}')
sectors=$((end - start + 1))
part=$(mktemp)
trap 'rm -f "$part"' EXIT
truncate -s $((sectors * 512)) "$part"
mkfs.vfat -F 32 -n HVBOOT "$part" >/dev/null
for spec in "$@"; do
	src=${spec%%:*}
	dest=${spec#*:}
	[ "$dest" = "$spec" ] && dest=/$(basename "$src")
	dir=$(dirname "$dest")
	# mmd makes one level at a time: create every parent of dest.
	path=""
	for comp in $(echo "$dir" | tr '/' ' '); do
		path="$path/$comp"
		mmd -D s -i "$part" "::$path" 2>/dev/null || true
	done
	mcopy -o -i "$part" "$src" "::$dest"
done
dd if="$part" of="$img" bs=1M seek=1 conv=notrunc status=none
