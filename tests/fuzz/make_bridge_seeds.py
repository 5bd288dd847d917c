#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_bridge_reply, fuzz_bridge_server and
fuzz_config (input formats in their sources): whole sessions as a correct
host and guest run them, the failures each side must survive, and
configurations as a user writes them.
    tests/fuzz/make_bridge_seeds.py    (from the top of the tree)"""
import os
import struct
import zlib

TOP = "tests/fuzz/corpus"
SYNC = b"\x16\x16hvboot-bridge-sync\x16\x16"
SOF = 0xB7
HELLO, CPUID, RDMSR, WRMSR, HYPERCALL, TIME_PAGE, DETACH = range(1, 8)
MAGIC = 0x52425648


def write(target, name, data):
    os.makedirs(os.path.join(TOP, target), exist_ok=True)
    with open(os.path.join(TOP, target, name), "wb") as f:
        f.write(data)


def frame(op, seq, payload=b"", crc_xor=0, claim=None):
    h = struct.pack("<BBHI", SOF, op, len(payload) if claim is None else claim, seq) + payload
    return h + struct.pack("<I", (zlib.crc32(h) ^ crc_xor) & 0xFFFFFFFF)


# --- fuzz_bridge_reply: [config][nops][ops][records] --------------------------
# ops: 0 cpuid, 1 rdmsr, 2 wrmsr, 3 hypercall, 4 clock, 5 memory, 6 detach,
# 7 attach; records: 0 raw, 1 frame, 2 correct reply, 3 silence, 4 broken,
# 5 stalled.

def correct(v=0):
    return bytes([2]) + struct.pack("<Q", v)


def rec_frame(payload, flags=0, claim=None):
    return bytes([1, flags, len(payload) if claim is None else claim]) + payload


def reply_seed(name, config, ops, records):
    write("fuzz_bridge_reply", name, bytes([config, len(ops)]) + bytes(ops) + b"".join(records))


def op(kind, arg=0):
    return kind | arg << 3


ATTACH = [correct(), correct(12345)]  # HELLO, TIME_PAGE
reply_seed("attach_only", 0, [], ATTACH)
reply_seed("session", 0x10,
           [op(0, 1), op(1, 3), op(2, 1), op(3, 0x1c), op(4, 3), op(5, 2), op(5, 17), op(6)],
           ATTACH + [correct(0x31237648), correct(0x40000001), correct(), correct(0),
                     correct(0x100000001)])
reply_seed("session_frames", 0x10, [op(0), op(1), op(2), op(6)],
           [rec_frame(struct.pack("<IIQ", 1, 0, 65536)), rec_frame(struct.pack("<Q", 99)),
            rec_frame(struct.pack("<IIII", 0x40000006, 0x7263694D, 0x666F736F, 0x76482074)),
            rec_frame(struct.pack("<Q", 5)), rec_frame(b""), rec_frame(struct.pack("<II", 1, 0))])
reply_seed("stale_before_attach", 0x20, [op(0)],
           [bytes([0, 12]) + b"BdsDxe: boot"] + ATTACH + [correct(7)])
reply_seed("error_reply", 0, [op(0), op(1), op(3)],
           ATTACH + [rec_frame(struct.pack("<II", 2, CPUID), flags=1)])
reply_seed("bad_crc", 0, [op(1)], ATTACH + [rec_frame(struct.pack("<Q", 1), flags=8)])
reply_seed("wrong_seq", 0, [op(1)], ATTACH + [rec_frame(struct.pack("<Q", 1), flags=4)])
reply_seed("wrong_op", 0, [op(1)], ATTACH + [rec_frame(struct.pack("<Q", 1), flags=0x22)])
reply_seed("long_len", 0, [op(1)], ATTACH + [rec_frame(struct.pack("<Q", 1), flags=16)])
reply_seed("short_payload", 0, [op(0)], ATTACH + [rec_frame(struct.pack("<Q", 1))])
reply_seed("silent", 1, [op(0), op(1), op(4, 3), op(3)], ATTACH + [bytes([3])])
reply_seed("broken", 0, [op(0), op(6), op(7)], ATTACH + [bytes([4])])
reply_seed("stalled", 0, [op(0), op(0)], ATTACH + [correct(1), bytes([5])])
reply_seed("time_page_stands_still", 2, [op(4, 3), op(4, 3), op(4, 3), op(4, 3), op(0)], ATTACH)
reply_seed("hello_small_ram", 0x04, [op(5, 0), op(5, 1), op(5, 3), op(5, 31)],
           [rec_frame(struct.pack("<IIQ", 1, 0, 8192)), correct(5)])
reply_seed("hello_odd_ram", 0, [], [rec_frame(struct.pack("<IIQ", 1, 0, 8191))])
reply_seed("version_mismatch", 0, [op(0)], [rec_frame(struct.pack("<IIQ", 2, 0, 65536))])
reply_seed("hello_refused", 0, [], [rec_frame(struct.pack("<II", 5, HELLO), flags=1)])
reply_seed("allocator_outside", 0x08, [op(5, 3)], ATTACH)
reply_seed("allocator_refuses", 0x0C, [op(0)], ATTACH)
reply_seed("detach_then_use", 0x10, [op(6), op(0), op(7), op(6)],
           ATTACH + [rec_frame(struct.pack("<II", 0, 3))])
reply_seed("garbage_reply", 0, [op(0)], ATTACH + [bytes([0, 6]) + b"login:"])

# --- fuzz_bridge_server: [config][ram_len u16][ram][guest bytes] --------------
MSR_GUEST_OS_ID, MSR_HYPERCALL, MSR_TIME = 0x40000000, 0x40000001, 0x40000020
MSR_SCONTROL, MSR_SIEFP, MSR_SIMP, MSR_EOM = 0x40000080, 0x40000082, 0x40000083, 0x40000084
MSR_SINT2 = 0x40000092
POST, SIGNAL, FAST = 0x5C, 0x5D, 1 << 16


class Guest:
    def __init__(self):
        self.seq = 0
        self.out = bytearray()

    def req(self, op, payload=b""):
        self.seq += 1
        self.out += frame(op, self.seq, payload)

    def hello(self, version=1):
        self.req(HELLO, struct.pack("<II", version, MAGIC))

    def cpuid(self, leaf):
        self.req(CPUID, struct.pack("<II", leaf, 0))

    def rdmsr(self, msr):
        self.req(RDMSR, struct.pack("<II", msr, 0))

    def wrmsr(self, msr, v):
        self.req(WRMSR, struct.pack("<IIQ", msr, 0, v))

    def hypercall(self, control, gin, gout=0):
        self.req(HYPERCALL, struct.pack("<QQQ", control, gin, gout))


def post_input(conn, payload):
    return struct.pack("<IIII", conn, 0, 1, len(payload)) + payload.ljust(240, b"\0")


def server_seed(name, config, ram, stream):
    write("fuzz_bridge_server", name, bytes([config]) + struct.pack("<H", len(ram)) + ram + stream)


g = Guest()
g.out += SYNC
g.hello()
g.req(TIME_PAGE, struct.pack("<Q", 0x1000))
g.req(DETACH)
server_seed("hello_detach", 0, b"", bytes(g.out))

g = Guest()
g.out += b"\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001\r\n\xb7\x01" + SYNC
g.hello()
for leaf in (1, 0x40000000, 0x40000001, 0x40000002, 0x40000003, 0x40000004, 0x40000006):
    g.cpuid(leaf)
g.rdmsr(MSR_GUEST_OS_ID)
g.rdmsr(0x12345678)
g.req(DETACH)
server_seed("noise_cpuid", 0, b"", bytes(g.out))

# The VMBus handshake: the SynIC up, INITIATE_CONTACT (6.0, connection 4),
# REQUESTOFFERS and UNLOAD posted from pages of the RAM image, the clock
# read while the host answers, then the teardown.
ram = bytearray(0x308)
ram[0x000:0x100] = post_input(4, struct.pack("<IIIIBBHIQQ", 14, 0, 0x60000, 0, 2, 0, 0, 0, 0, 0))
ram[0x100:0x200] = post_input(1, struct.pack("<II", 3, 0))
ram[0x200:0x300] = post_input(1, struct.pack("<II", 16, 0))
ram[0x300:0x308] = struct.pack("<IHH", 0x2001, 0, 0)
g = Guest()
g.out += SYNC
g.hello()
g.req(TIME_PAGE, struct.pack("<Q", 0x1000))
g.cpuid(1)
g.cpuid(0x40000000)
g.cpuid(0x40000001)
g.cpuid(0x40000003)
g.rdmsr(MSR_GUEST_OS_ID)
g.rdmsr(MSR_HYPERCALL)
g.rdmsr(MSR_SCONTROL)
g.rdmsr(MSR_SIMP)
g.rdmsr(MSR_SIEFP)
g.rdmsr(MSR_SINT2)
g.wrmsr(MSR_GUEST_OS_ID, 1 << 63)
g.wrmsr(MSR_HYPERCALL, 0x2000 | 1)
g.rdmsr(MSR_HYPERCALL)
g.wrmsr(MSR_SIMP, 0x3000 | 1)
g.wrmsr(MSR_SIEFP, 0x4000 | 1)
g.wrmsr(MSR_SINT2, 0x20000 | 0x30)
g.wrmsr(MSR_SCONTROL, 1)
g.hypercall(POST, 0x000)
for _ in range(40):  # the host thread answers meanwhile (a race, mostly won)
    g.rdmsr(MSR_TIME)
g.wrmsr(MSR_EOM, 0)
g.hypercall(POST, 0x100)
for _ in range(40):  # the host thread answers meanwhile (a race, mostly won)
    g.rdmsr(MSR_TIME)
g.hypercall(SIGNAL, 0x300)
g.hypercall(SIGNAL | FAST, 0x2001)
g.hypercall(POST, 0x200)
for _ in range(40):
    g.rdmsr(MSR_TIME)
g.wrmsr(MSR_EOM, 0)
g.wrmsr(MSR_SINT2, 0x10000)
g.wrmsr(MSR_SIMP, 0)
g.wrmsr(MSR_SIEFP, 0)
g.wrmsr(MSR_SCONTROL, 0)
g.wrmsr(MSR_HYPERCALL, 0)
g.wrmsr(MSR_GUEST_OS_ID, 0)
g.req(DETACH)
server_seed("vmbus_handshake", 2, bytes(ram), bytes(g.out))
server_seed("vmbus_handshake_win7", 0x0D, bytes(ram), bytes(g.out))

# Corrupt frames between good ones, a new sync mid-session, bytes after DETACH.
g = Guest()
g.out += SYNC
g.hello()
g.out += frame(CPUID, 50, struct.pack("<II", 1, 0), crc_xor=1)
g.out += struct.pack("<BBHI", SOF, CPUID, 200, 51)
g.out += b"noise"
g.cpuid(0x40000000)
g.req(0x44, b"\0" * 8)
g.req(RDMSR, b"\0" * 4)
g.req(TIME_PAGE, struct.pack("<Q", 0xFFFFF000))
g.req(TIME_PAGE, struct.pack("<Q", 0x1004))
g.out += SYNC
g.cpuid(1)
g.hello()
g.req(DETACH)
g.out += SYNC + b"\xb7\x01\x08\x00 Linux"
server_seed("corrupt_resync_after_detach", 1, b"", bytes(g.out))

g = Guest()
g.out += SYNC
g.cpuid(1)
g.hello(version=2)
g.cpuid(1)
g.req(HELLO, struct.pack("<II", 1, 0))
g.req(HELLO, b"\1\0\0\0")
server_seed("refused", 0, b"", bytes(g.out))

# --- fuzz_config: [flags][file_len u16][hvboot.conf][load options] ------------
DIGEST = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def config_seed(name, flags, conf, opts=b""):
    write("fuzz_config", name, bytes([flags]) + struct.pack("<H", len(conf)) + conf + opts)


config_seed("full_file", 0x40, (
    "# hvboot.conf\n"
    "kernel=scsi:0/EFI/Linux/vmlinuz 6.1.efi\n"
    "initrd = http://10.0.2.2:8080/initrd.img\n"
    "cmdline=console=ttyS0 root=/dev/sda2  quiet # not a comment\n"
    "sha256.kernel=" + DIGEST + "\n"
    "hv=bridge\nmode=diag\ntimeout=3600\nqueue_depth=256\nconsole=serial\n"
    "progress=off\nreset_timeout=0\n").encode())
config_seed("crlf_bom", 0x40, b"\xef\xbb\xbfkernel=dhcp\r\n  # note\r\ntimeout = 0030\r\n"
            b"cmdline=\"init=/bin/sh\"\r\n")
config_seed("file_and_options", 0, b"kernel=scsi:0@2048+16384\nmode=boot\n",
            b"\\EFI\\hvboot.efi initrd=tftp://boot.example:6969/pxe/initrd "
            b"cmdline=\"console=ttyS0 quiet\" progress=on\0junk")
config_seed("options_only", 0x20, b"",
            ("hvboot.efi kernel=http://h/k#sha256=" + DIGEST + " sha256.kernel=" + DIGEST +
             " queue_depth=1 console=both hv=native").encode())
config_seed("sources", 0x40, ("kernel=scsi:3:2/EFI/Linux/linux.efi\n"
                              "initrd=scsi:1/initrd.img#sha256=" + DIGEST + "\n").encode())
config_seed("duplicate_key", 0x41, b"timeout=5\n\ntimeout=6\n")
config_seed("unknown_key_small_err", 0x42, b"kernl=scsi:0/k\n")
config_seed("bad_quote_options", 0x24, b"", b"x cmdline=\"a b kernel=dhcp")
config_seed("utf16", 0x40, b"\xff\xfek\x00=\x00")
config_seed("overrides_good", 0x80, b"timeout=9\nkernel=dhcp#sha256=" + DIGEST.encode() + b"\n",
            b"img mode=boot kernel=tftp://10.0.2.2/vmlinuz")
config_seed("check_fails", 0x40, b"mode=boot\nsha256.initrd=" + DIGEST.encode() + b"\n")
config_seed("describe_cut", 0x08 | 0x10, b"kernel=tftp://a/" + b"p" * 900 + b"\n", b"")
# Longer than a line or token may be: these also raise libFuzzer's input
# size limit above HVB_CONF_LINE_MAX for this target.
config_seed("long_line", 0x40, b"cmdline=" + b"x" * 4100 + b"\n")
config_seed("long_token", 0x20, b"", b"img cmdline=\"" + b"y" * 4100 + b"\"")
