#!/usr/bin/env bash
# Regenerates the seed corpora of fuzz_tftp, fuzz_http and fuzz_dhcp (the
# input formats their sources describe) with python3.
#   tests/fuzz/make_net_seeds.sh    (from the top of the tree)
set -euo pipefail
top=$(pwd)/tests/fuzz/corpus
mkdir -p "$top/fuzz_tftp" "$top/fuzz_http" "$top/fuzz_dhcp"
python3 - "$top" <<'PY'
import struct, sys
top = sys.argv[1]

def w(target, name, data):
    open(f"{top}/{target}/{name}", "wb").write(data)

# fuzz_tftp: [config][how u8, len u16 BE, datagram]...
def rec(pkt, how=0):
    return bytes([how]) + struct.pack(">H", len(pkt)) + pkt
def data(block, n, fill=0x41):
    return struct.pack(">HH", 3, block & 0xffff) + bytes([fill]) * n
def oack(**opts):
    return struct.pack(">H", 6) + b"".join(k.encode() + b"\0" + str(v).encode() + b"\0" for k, v in opts.items())
def error(code, msg):
    return struct.pack(">HH", 5, code) + msg + b"\0"
cfg = 2 | 4 | (2 << 3) | 0x20 | 0x40   # 4000-byte buffer, blksize 1468, tsize, windowsize 4
w("fuzz_tftp", "oack_window", bytes([cfg]) + rec(oack(blksize=1468, tsize=3000, windowsize=4))
  + rec(data(1, 1468)) + rec(data(2, 1468)) + rec(data(3, 64)))
w("fuzz_tftp", "ignored_options", bytes([cfg]) + rec(data(1, 512)) + rec(data(2, 512))
  + rec(data(3, 10)))
w("fuzz_tftp", "refused_then_plain", bytes([cfg]) + rec(error(8, b"no options"))
  + rec(data(1, 100), how=1))
w("fuzz_tftp", "not_found", bytes([1]) + rec(error(1, b"File not found")))
w("fuzz_tftp", "stranger_gap_timeout", bytes([cfg]) + rec(oack(blksize=1000, windowsize=4))
  + rec(data(1, 1000)) + rec(data(3, 1000)) + rec(data(2, 9), how=1) + rec(b"", how=4)
  + rec(data(2, 1000)) + rec(data(3, 7)))
w("fuzz_tftp", "tsize_too_big", bytes([1 | 0x20]) + rec(oack(tsize=101)))
small = 3 | 4 | 0x40                 # 70000-byte buffer, blksize 8, windowsize 4
w("fuzz_tftp", "small_blocks", bytes([small]) + rec(oack(blksize=8, windowsize=4))
  + b"".join(rec(data(b, 8, b)) for b in range(1, 40)) + rec(data(40, 3)))

# fuzz_http: [buffer choice][split seed][response]
def h(name, resp, cap=2, eof=False, seed=7):
    w("fuzz_http", name, bytes([cap | (4 if eof else 0), seed]) + resp)
h("plain", b"HTTP/1.1 200 OK\r\nContent-Type: x\r\nContent-Length: 11\r\n\r\nhello world")
h("chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n"
  b"6\r\n world\r\n0\r\nTrailer: t\r\n\r\n")
h("lf_only", b"HTTP/1.1 200 OK\nContent-Length: 3\n\nabc")
h("read_to_close", b"HTTP/1.0 200 OK\r\nServer: s\r\n\r\nsome body bytes", eof=True)
h("redirect", b"HTTP/1.1 302 Found\r\nLocation: http://10.0.2.2:8080/k\r\nContent-Length: 5\r\n\r\nmoved")
h("continue", b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
h("too_big", b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n0123456789abcdefg", cap=1)
h("not_found", b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot here\n")

# fuzz_dhcp: [mode][bytes]
def ack(opts, file=b"", sname=b""):
    m = bytearray(240)
    m[0:4] = b"\x02\x01\x06\x00"
    m[4:8] = b"\x11\x22\x33\x44"
    m[16:20] = bytes([10, 0, 2, 15])
    m[20:24] = bytes([10, 0, 2, 2])
    m[28:34] = bytes.fromhex("525400123456")
    m[44:44 + len(sname)] = sname
    m[108:108 + len(file)] = file
    m[236:240] = b"\x63\x82\x53\x63"
    return bytes(m) + opts
slirp = (b"\x35\x01\x05\x36\x04\x0a\x00\x02\x02\x01\x04\xff\xff\xff\x00\x03\x04\x0a\x00\x02\x02"
         b"\x06\x04\x0a\x00\x02\x03\x33\x04\x00\x01\x51\x80\xff")
w("fuzz_dhcp", "slirp_ack", b"\x00" + ack(slirp, file=b"pxelinux.0"))
w("fuzz_dhcp", "options_66_67", b"\x00" + ack(b"\x35\x01\x05\x42\x0ctftp.example\x43\x05k.efi"
                                               b"\x43\x04.sig\xff"))
w("fuzz_dhcp", "overload_both", b"\x00" + ack(b"\x35\x01\x05\x34\x01\x03\xff",
                                               file=b"\x43\x04boot\xff", sname=b"\x42\x01s\xff"))
def csum(b):
    s = sum(struct.unpack(f">{len(b) // 2}H", b + (b"\0" if len(b) % 2 else b"")))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
payload = ack(slirp, file=b"vmlinuz")
udp = struct.pack(">HHHH", 67, 68, 8 + len(payload), 0) + payload
ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                           bytes([10, 0, 2, 2]), bytes([255, 255, 255, 255])))
ip[10:12] = struct.pack(">H", csum(bytes(ip)))
eth = bytes.fromhex("ffffffffffff5255 0a000202 0800".replace(" ", ""))
w("fuzz_dhcp", "frame", b"\x80" + eth + bytes(ip) + udp)
w("fuzz_dhcp", "request_list", bytes([192 | 10]) + b"\x35\x01\x01\x39\x02\x05\xdc\x37\x04\x01\x03\x1c\x06")
PY
ls -l "$top/fuzz_tftp" "$top/fuzz_http" "$top/fuzz_dhcp"
