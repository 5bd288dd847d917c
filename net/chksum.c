/* The Internet checksum (RFC 1071) for lwIP (LWIP_CHKSUM in lwipopts.h).
 * lwIP's own routine adds 16 bits at a time, and every received segment is
 * verified (CHECKSUM_CHECK_*), so on a fast download it was a quarter of
 * the guest's work. This one adds 32-bit halves of 64-bit loads into a
 * 64-bit accumulator (RFC 1071 section 2: deferred carries) and folds at
 * the end. Pure: no lwIP types, so it is tested on its own. */
#include <stdint.h>
#include <string.h>

#include "port/chksum.h"

static uint64_t add64(uint64_t sum, uint64_t v)
{
	/* Two 32-bit halves: the 64-bit sum cannot overflow before 2^32
	 * additions, far more than a 64 KiB buffer has. */
	return sum + (v & 0xffffffffu) + (v >> 32);
}

uint16_t net_port_chksum(const void *data, int len)
{
	const uint8_t *p = data;
	size_t n = len > 0 ? (size_t)len : 0;
	uint64_t sum = 0, v;

	/* Loads through memcpy: any alignment, and byte pairs stay counted
	 * from the start of the buffer, which is what the checksum means
	 * (lwIP's routine swaps bytes back for odd addresses to get the
	 * same). */
	for (; n >= 32; p += 32, n -= 32) {
		uint64_t w[4];

		memcpy(w, p, sizeof(w));
		sum = add64(add64(add64(add64(sum, w[0]), w[1]), w[2]), w[3]);
	}
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&v, p, 8);
		sum = add64(sum, v);
	}
	if (n) {
		/* The rest, zero-padded at the end (an odd last byte pairs
		 * with a zero byte, RFC 1071). */
		v = 0;
		memcpy(&v, p, n);
		sum = add64(sum, v);
	}
	/* Fold to 16 bits with end-around carries; the sum of native-order
	 * words is the checksum in host order, as lwIP expects. */
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}
