/* libFuzzer target: netvsc's receive path (vsc/netvsc_rx.c, the code the
 * driver runs) on a transfer-page packet and a receive buffer that the
 * host controls completely.
 * Input: sub_alloc_size (u32), packet length P (u16), flags (u16), P bytes
 * of packet from its descriptor on, then the receive buffer (the rest).
 *   flags bit 0: set offset8 from range_count, so mutations of the ranges
 *                get past the range-count check to the checks behind it
 * The packet is presented as ring_read leaves it: len = P rounded down to
 * 8 bytes, offset = offset8 * 8 clamped to [16, len]. The buffer and the
 * private copy are allocated at their exact sizes, so ASan sees any byte
 * read outside them. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "../../vsc/netvsc_rx.h"

#define MAX_SUB_ALLOC 65536u
#define MAX_PACKET 4096u
#define MAX_BUFFER (1u << 20)

static const uint8_t *copy_lo, *copy_hi;
static volatile uint8_t sink;

static void touch(const uint8_t *p, uint32_t len)
{
	uint8_t x = 0;

	if (len && (p < copy_lo || p + len > copy_hi))
		__builtin_trap(); /* handed out something that is not in the private copy */
	for (uint32_t i = 0; i < len; i++)
		x ^= p[i];
	sink = x;
}

static void on_frame(void *ctx, const uint8_t *frame, uint32_t len)
{
	(void)ctx;
	if (len < NETVSC_FRAME_MIN || len > NETVSC_FRAME_MAX)
		__builtin_trap();
	touch(frame, len);
}

static void on_completion(void *ctx, uint32_t type, uint32_t rid, int err, const uint8_t *msg,
			  uint32_t len)
{
	struct rndis_query_c q;

	(void)ctx;
	(void)rid;
	touch(msg, len);
	if (err != 0 && err != -EPROTO)
		__builtin_trap();
	if (err == 0 && type == RNDIS_MSG_QUERY_C) {
		/* What the driver then reads: the information buffer. */
		memcpy(&q, msg, sizeof(q));
		if (q.info_len)
			touch(msg + RNDIS_HEADER_OFFSET + q.info_offset, q.info_len);
	}
}

static void on_status(void *ctx, uint32_t status)
{
	(void)ctx;
	sink = (uint8_t)status;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	struct netvsc_rx rx = { .pageset_id = NVSP_RECV_BUF_ID, .name = "fuzz" };
	struct ring_pkt pkt;
	uint32_t sub, plen, flags, status, bufsize;
	uint8_t *packet, *buf, *copy;
	uint16_t v16;

	if (n < 8)
		return 0;
	memcpy(&sub, in, 4);
	memcpy(&v16, in + 4, 2);
	plen = v16 % (MAX_PACKET + 1);
	memcpy(&v16, in + 6, 2);
	flags = v16;
	in += 8;
	n -= 8;
	if (plen > n)
		plen = (uint32_t)n;
	plen &= ~7u;
	if (plen < sizeof(struct vmbus_pkt_desc))
		return 0;
	bufsize = (uint32_t)(n - plen > MAX_BUFFER ? MAX_BUFFER : n - plen);
	sub = sub % MAX_SUB_ALLOC + 1;
	packet = malloc(plen);
	buf = malloc(bufsize ? bufsize : 1);
	copy = malloc(sub);
	if (!packet || !buf || !copy)
		__builtin_trap();
	memcpy(packet, in, plen);
	memcpy(buf, in + plen, bufsize);
	if ((flags & 1) && plen >= sizeof(struct vmbus_xfer_page_hdr)) {
		struct vmbus_xfer_page_hdr h;
		uint64_t at;

		memcpy(&h, packet, sizeof(h));
		at = sizeof(h) + 8ull * h.range_count;
		h.desc.offset8 = (uint16_t)(at <= plen ? at / 8 : plen / 8);
		memcpy(packet, &h, sizeof(h));
	}
	memset(&pkt, 0, sizeof(pkt));
	memcpy(&v16, packet + 2, 2); /* offset8 */
	pkt.type = VMBUS_PKT_DATA_XFER_PAGES;
	pkt.len = plen;
	pkt.offset = v16 * 8u < 16 ? 16 : v16 * 8u > plen ? plen : v16 * 8u;
	pkt.data = packet;
	rx.buf = buf;
	rx.size = bufsize;
	rx.sub_alloc_size = sub;
	rx.copy = copy;
	rx.ops = (struct netvsc_rx_ops){ on_frame, on_completion, on_status, NULL };
	copy_lo = copy;
	copy_hi = copy + sub;
	status = netvsc_rx_packet(&rx, &pkt);
	if (status != NVSP_STAT_SUCCESS && status != NVSP_STAT_FAIL)
		__builtin_trap();
	free(packet);
	free(buf);
	free(copy);
	return 0;
}
