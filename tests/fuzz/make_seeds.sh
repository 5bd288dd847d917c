#!/usr/bin/env bash
# Regenerates the seed corpora of fuzz_gpt and fuzz_fat from real images
# (sgdisk, mkfs.vfat, mtools; python3 to write the fuzz input formats that
# fuzz_gpt.c and fuzz_fat.c describe). Each seed stays under 64 KiB.
#   tests/fuzz/make_seeds.sh    (from the top of the tree)
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin MTOOLS_SKIP_CHECK=1
top=$(pwd)
gpt=$top/tests/fuzz/corpus/fuzz_gpt
fat=$top/tests/fuzz/corpus/fuzz_fat
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# fuzz_gpt: a flags byte, then the disk.
seed_gpt() { # flags image out
	python3 -c 'import sys; f=int(sys.argv[1]); d=open(sys.argv[2],"rb").read(); open(sys.argv[3],"wb").write(bytes([f])+d)' "$@"
}
truncate -s 51200 g512
sgdisk -a 1 -n 1:34:49 -t 1:ef00 -c 1:ESP -n 2:50:66 -t 2:8300 -c 2:root g512 >/dev/null
seed_gpt 0 g512 "$gpt/sgdisk_512"
seed_gpt 2 g512 "$gpt/sgdisk_512_fixcrc"
cp g512 g512b && printf 'X' | dd of=g512b bs=1 seek=512 conv=notrunc status=none
seed_gpt 0 g512b "$gpt/sgdisk_512_backup_only"
# 4096-byte blocks: sgdisk assumes 512, so this one is laid out here.
python3 - "$gpt/handmade_4k" <<'PY'
import struct, sys, zlib
bs, blocks = 4096, 12
d = bytearray(bs * blocks)
d[446 + 4] = 0xee; d[510:512] = b"\x55\xaa"
esp = bytes.fromhex("28732ac11ff8d211ba4b00a0c93ec93b")
for hdr_lba, ent_lba in ((1, 2), (blocks - 1, blocks - 2)):
    e = bytearray(bs)
    e[0:16] = esp; e[16] = 1
    e[32:48] = struct.pack("<QQ", 3, 9)
    e[56:62] = "ESP".encode("utf-16-le")
    d[ent_lba * bs:(ent_lba + 1) * bs] = e
    h = bytearray(92)
    h[0:8] = b"EFI PART"
    struct.pack_into("<IIIIQQQQ", h, 8, 0x10000, 92, 0, 0, hdr_lba,
                     blocks - 1 if hdr_lba == 1 else 1, 3, blocks - 3)
    struct.pack_into("<QIII", h, 72, ent_lba, 32, 128, zlib.crc32(bytes(e)))
    struct.pack_into("<I", h, 16, zlib.crc32(bytes(h)))
    d[hdr_lba * bs:hdr_lba * bs + 92] = h
open(sys.argv[1], "wb").write(bytes([1]) + bytes(d))
PY

# fuzz_fat: a flags byte, then [u32 block][block] for each non-zero block.
seed_fat() { # flags block_size image out
	python3 - "$@" <<'PY'
import struct, sys
flags, bs, img, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
d = open(img, "rb").read()
o = bytearray([flags])
for lba in range(len(d) // bs):
    b = d[lba * bs:(lba + 1) * bs]
    if any(b):
        o += struct.pack("<I", lba) + b
assert len(o) < 65536, (out, len(o))
open(out, "wb").write(o)
PY
}
fill() { # image
	head -c 600 /dev/urandom >boot.efi
	head -c 3000 /dev/urandom >vmlinuz
	echo "a long name" >long.txt
	: >empty
	mmd -i "$1" ::/EFI ::/EFI/BOOT ::/boot ::/d ::/d/e
	mcopy -i "$1" boot.efi ::/EFI/BOOT/BOOTX64.EFI
	mcopy -i "$1" vmlinuz ::/boot/vmlinuz
	mcopy -i "$1" long.txt '::/A Long Name.txt'
	mcopy -i "$1" long.txt ::/d/e/f.txt
	mcopy -i "$1" empty ::/empty
}
mkfs.vfat -F 12 -C f12 1024 >/dev/null && fill f12
seed_fat 0 512 f12 "$fat/fat12"
mkfs.vfat -F 16 -s 1 -C f16 16384 >/dev/null && fill f16
for i in 1 2 3 4 5 6; do head -c 512 /dev/urandom >s$i; done
mcopy -i f16 s1 s2 s3 s4 s5 s6 ::/ && mdel -i f16 ::/s2 ::/s4
head -c 2000 /dev/urandom >frag && mcopy -i f16 frag ::/frag.bin
seed_fat 0 512 f16 "$fat/fat16_fragmented"
mkfs.vfat -F 32 -s 1 -C f32 40960 >/dev/null && fill f32
seed_fat 0 512 f32 "$fat/fat32"
seed_fat 2 512 f32 "$fat/fat32_small_io"
mkfs.vfat -F 16 -S 4096 -s 1 -C f4k 65536 >/dev/null && fill f4k
seed_fat 1 4096 f4k "$fat/fat16_4k"
ls -l "$gpt" "$fat"
