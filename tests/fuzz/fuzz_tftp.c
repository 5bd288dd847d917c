/* libFuzzer target: the TFTP client session (net/tftp_proto.c) fed a
 * sequence of datagrams.
 * Input: one config byte, then records of
 *   [u8 how][u16 BE length][the datagram]
 *   config bits 0-1: the buffer (0, 100, 4000 or 70000 bytes)
 *          bit 2: ask blksize (8, 512 or 1468 by bits 3-4), bit 5: tsize,
 *          bit 6: windowsize 4
 *   how bit 0: from another port; bit 1: from another address;
 *       bit 2: a timeout instead of a datagram
 * Checked: nothing is written past the buffer (a guard follows it), the
 * byte count stays within it, a failed session stays failed, every answer
 * fits its buffer and goes to the server or to the stranger that spoke. */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "../../net/tftp_proto.h"

#define SRV 0x0a000202u
#define GUARD 64

static uint8_t dst[70000 + GUARD];

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	static const size_t caps[4] = { 0, 100, 4000, 70000 };
	static const uint16_t blks[4] = { 8, 512, 1468, 1468 };
	struct tftp_session s;
	struct tftp_want w = { 0 };
	struct tftp_out o;
	size_t cap, off = 1;
	uint16_t tid = 0;
	int last = TFTP_CONTINUE;

	if (n < 1)
		return 0;
	cap = caps[in[0] & 3];
	if (in[0] & 4)
		w.blksize = blks[(in[0] >> 3) & 3];
	w.tsize = in[0] & 0x20;
	w.windowsize = in[0] & 0x40 ? 4 : 0;
	memset(dst, 0xa5, sizeof(dst));
	if (tftp_start(&s, "boot/vmlinuz", SRV, 69, &w, dst, cap, &o) != 0)
		__builtin_trap();
	while (n - off >= 3) {
		uint8_t how = in[off];
		size_t len = (size_t)in[off + 1] << 8 | in[off + 2];
		uint32_t ip = how & 2 ? SRV + 1 : SRV;
		uint16_t port = how & 1 ? 5000 : 4000;
		int rc;

		off += 3;
		if (len > n - off)
			len = n - off;
		if (how & 4) {
			tftp_timeout(&s, &o);
			rc = last;
		} else {
			rc = tftp_rx(&s, ip, port, in + off, len, &o);
			off += len;
		}
		if (o.len > sizeof(o.buf) || s.got > cap)
			__builtin_trap();
		if (last < 0 && rc != last)
			__builtin_trap(); /* failed must stay failed */
		if (o.len && !(o.ip == SRV || o.ip == ip))
			__builtin_trap();
		if (!tid && s.tid_known)
			tid = s.server_port;
		last = rc;
	}
	for (size_t i = cap; i < cap + GUARD; i++)
		if (dst[i] != 0xa5)
			__builtin_trap();
	return 0;
}
