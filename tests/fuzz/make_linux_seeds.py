#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_linux (input format in
tests/fuzz/fuzz_linux.c): small bzImages with the setup header Linux 6.1
has (protocol 2.15, 64-bit entry, relocatable, 2 MiB alignment), a few
variants the parser must refuse, and OVMF-like memory maps.
    tests/fuzz/make_linux_seeds.py    (from the top of the tree)"""
import os
import struct

OUT = "tests/fuzz/corpus/fuzz_linux"


def bzimage(setup_sects=4, code=1024, version=0x020F, xlf=0x7F, init_size=8 << 20,
            align=0x200000, pref=0x1000000, cmdline_size=2047, initrd_max=0x7FFFFFFF,
            tail=0):
    setup = (setup_sects or 4) + 1
    d = bytearray(setup * 512 + code + tail)
    d[0x1F1] = setup_sects
    struct.pack_into("<I", d, 0x1F4, code // 16)
    struct.pack_into("<H", d, 0x1FE, 0xAA55)
    d[0x200:0x202] = b"\xeb\x6a"
    d[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", d, 0x206, version)
    struct.pack_into("<H", d, 0x20E, 0x400)
    d[0x600:0x610] = b"6.1.0-fuzz #1\0\0\0"
    d[0x211] = 1
    struct.pack_into("<IIBBHI", d, 0x22C, initrd_max, align, 1, 21, xlf, cmdline_size)
    struct.pack_into("<QI", d, 0x258, pref, init_size)
    for i in range(setup * 512, setup * 512 + code):
        d[i] = (i * 7) & 0xFF
    return bytes(d)


def desc(size, type_, start, pages):
    return struct.pack("<IIQQQQ", type_, 0, start, 0, pages, 0xF).ljust(size, b"\xee")


def ovmf_map(size):
    m = [(3, 0, 1), (7, 0x1000, 0x9F), (0, 0xA0000, 0x60), (7, 0x100000, 0x700),
         (4, 0x800000, 0x100), (2, 0x900000, 0x100), (1, 0xA00000, 0x100),
         (7, 0xB00000, 0x7F500), (9, 0x80000000, 0x100), (10, 0x80100000, 0x100),
         (6, 0x80200000, 0x200), (5, 0x80400000, 0x100), (11, 0xFFC00000, 0x400),
         (7, 0x100000000, 0x40000)]
    return b"".join(desc(size, *x) for x in m)


def seed(name, flags, image, map_):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([flags]) + struct.pack("<H", len(image)) + image + map_)


os.makedirs(OUT, exist_ok=True)
for i, size in enumerate((40, 48, 56, 64)):
    seed("good_ds%d" % size, i | 0x24, bzimage(), ovmf_map(size))
seed("good_fb_quiet", 0x1D, bzimage(), ovmf_map(48))
seed("signed_tail", 0x31, bzimage(setup_sects=0, tail=64), ovmf_map(48))
seed("below_4g", 0x21, bzimage(xlf=0x01), ovmf_map(48))
seed("pref_low", 0x21, bzimage(pref=0x200000, align=0x1000), ovmf_map(48))
seed("huge_init", 0x21, bzimage(init_size=0xFFFFF000), ovmf_map(48))
seed("initrd_max_low", 0xF1, bzimage(initrd_max=0x01FFFFFF), ovmf_map(48))
seed("cmdline_tiny", 0x01, bzimage(cmdline_size=4), ovmf_map(48))
seed("old_protocol", 0x01, bzimage(version=0x020B), ovmf_map(48))
seed("no_64bit", 0x01, bzimage(xlf=0), ovmf_map(48))
seed("overlap_map", 0x01, bzimage(), ovmf_map(48) + desc(48, 7, 0x1000000, 16))
seed("many_entries", 0x01, bzimage(),
     b"".join(desc(48, 7 if i % 2 else 0, i << 12, 1) for i in range(140)))
