#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_netvsc_rx (input format in
tests/fuzz/fuzz_netvsc_rx.c): transfer-page packets as hvsim's netvsp (and
OpenVMM) sends them, with their receive buffers, and a few broken ones.
    tests/fuzz/make_netvsc_seeds.py    (from the top of the tree)"""
import os
import struct

OUT = "tests/fuzz/corpus/fuzz_netvsc_rx"
SUB = 256 + 1514 + 36


def xfer(ranges, channel=0, tid=0, range_count=None, pageset=0xCAFE):
    at = 24 + 8 * len(ranges)
    nvsp = struct.pack("<IIII", 107, channel, 0xFFFFFFFF, 0).ljust(40, b"\0")
    desc = struct.pack("<HHHHQ", 7, at // 8, (at + len(nvsp)) // 8, 1, tid)
    hdr = struct.pack("<HBBI", pageset, 0, 0, len(ranges) if range_count is None else range_count)
    return desc + hdr + b"".join(struct.pack("<II", c, o) for c, o in ranges) + nvsp


def seed(name, packet, buf, sub=SUB, flags=0):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(struct.pack("<IHH", sub - 1, len(packet), flags) + packet + bytes(buf))


def frame(n):
    eth = bytes.fromhex("00155d000001525500000202") + b"\x08\x00"
    return eth + bytes((i * 7) & 0xFF for i in range(n - 14))


def data_msg(fr, data_offset=248):
    # OpenVMM's layout: MessageLength = the sub-allocation, one checksum PPI, the frame at 256
    hdr = struct.pack("<IIIIIIIIIII", 1, SUB, data_offset, len(fr), 0, 0, 0, 36, 16, 0, 0)
    ppi = struct.pack("<IIII", 16, 0, 12, 0)
    m = bytearray(SUB)
    m[: len(hdr) + len(ppi)] = hdr + ppi
    m[256 : 256 + len(fr)] = fr
    return bytes(m)


def buffer(*placed, size=2 * SUB):
    b = bytearray(size)
    for off, msg in placed:
        b[off : off + len(msg)] = msg
    return b


os.makedirs(OUT, exist_ok=True)
init_c = struct.pack("<13I", 0x80000002, 52, 1, 0, 1, 0, 1, 0, 8, 0xEFFFFFFF, 3, 0, 0)
query_c = struct.pack("<6I", 0x80000004, 30, 2, 0, 6, 16) + bytes.fromhex("00155d000001")
set_c = struct.pack("<4I", 0x80000005, 16, 3, 0)
down = struct.pack("<5I", 7, 20, 0x4001000C, 0, 0)
speed = struct.pack("<5II", 7, 24, 0x40010013, 4, 12, 100000000)
d = data_msg(frame(60))

seed("data_frame", xfer([(SUB, SUB)], tid=1), buffer((SUB, d)))
seed("data_max_frame", xfer([(SUB, SUB)], tid=1), buffer((SUB, data_msg(frame(1514)))))
seed("init_cmplt", xfer([(52, 0)], channel=1), buffer((0, init_c)))
seed("query_cmplt_mac", xfer([(30, 0)], channel=1), buffer((0, query_c)))
seed("set_cmplt", xfer([(16, 0)], channel=1), buffer((0, set_c)))
seed("indicate_down", xfer([(20, 0)], channel=1), buffer((0, down)))
seed("indicate_speed", xfer([(24, 0)], channel=1), buffer((0, speed)))
seed("two_ranges", xfer([(52, 0), (SUB, SUB)]), buffer((0, init_c), (SUB, d)), flags=1)
seed("range_outside", xfer([(64, 0xFFFFFFF0), (52, 0)]), buffer((0, init_c)))
seed("range_count_huge", xfer([(SUB, SUB)], range_count=0x20000000), buffer((SUB, d)))
seed("bad_data_offset", xfer([(SUB, SUB)]), buffer((SUB, data_msg(frame(60), SUB))))
seed("bad_query_buffer", xfer([(30, 0)], channel=1),
     buffer((0, struct.pack("<6I", 0x80000004, 30, 2, 0, 0x20, 0xFFFFFFF0))))
