/* netvsc receive path (facts 4.7, 6.6, 6.7). Receives data from the host:
 * the transfer-page packet is already a private copy (ring.c); each range
 * of the shared receive buffer is checked against the buffer, copied once
 * into rx->copy, and only the copy is parsed. Lengths from the host are
 * widened to 64 bits before any addition, so no sum can wrap. */
#include "netvsc_rx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"

#define XFER_HDR sizeof(struct vmbus_xfer_page_hdr)
#define RANGE_BYTES 8u

static const char *const fault_names[NETVSC_RX_FAULT_KINDS] = {
	[NETVSC_RX_SHORT_PACKET] = "a transfer-page packet cut short",
	[NETVSC_RX_BAD_PAGESET] = "a transfer-page packet for another page set",
	[NETVSC_RX_BAD_NVSP] = "a transfer-page packet without SEND_RNDIS_PKT",
	[NETVSC_RX_RANGE_COUNT] = "a range count larger than its packet",
	[NETVSC_RX_RANGE_OUTSIDE] = "a range outside the receive buffer",
	[NETVSC_RX_RANGE_SIZE] = "a range larger than a sub-allocation",
	[NETVSC_RX_MSG_LENGTH] = "an RNDIS MessageLength outside its range",
	[NETVSC_RX_PACKET_LAYOUT] = "an RNDIS PACKET with data outside the message",
	[NETVSC_RX_FRAME_SIZE] = "a frame of impossible length",
	[NETVSC_RX_CONTROL] = "a malformed RNDIS completion",
	[NETVSC_RX_INDICATION] = "a malformed INDICATE_STATUS",
	[NETVSC_RX_UNKNOWN_TYPE] = "an unknown RNDIS message type",
};

const char *netvsc_rx_fault_name(enum netvsc_rx_fault kind)
{
	return kind < NETVSC_RX_FAULT_KINDS ? fault_names[kind] : "?";
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* A flood of bad messages must not become a flood of log lines: the 1st,
 * 10th, 100th ... of each kind are logged. */
void netvsc_rx_reject(struct netvsc_rx *rx, enum netvsc_rx_fault kind, const char *fmt, ...)
{
	uint64_t n = ++rx->faults[kind];
	char why[200];
	va_list ap;

	while (n % 10 == 0)
		n /= 10;
	if (n != 1)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warn("%s: rejected %s (%s; %llu so far)", rx->name, fault_names[kind], why,
		 (unsigned long long)rx->faults[kind]);
}

/* Does [8 + off, 8 + off + len) lie inside [first, end)? (Offsets in RNDIS
 * messages count from byte 8.) */
static bool inside(uint32_t off, uint32_t len, uint64_t first, uint64_t end)
{
	uint64_t start = (uint64_t)RNDIS_HEADER_OFFSET + off;

	return start >= first && start + len <= end;
}

static bool rx_packet_msg(struct netvsc_rx *rx, const uint8_t *msg, uint32_t msg_len)
{
	struct rndis_packet p;

	if (msg_len < sizeof(p)) {
		netvsc_rx_reject(rx, NETVSC_RX_PACKET_LAYOUT, "a %u-byte PACKET; its header is 44",
				 msg_len);
		return false;
	}
	memcpy(&p, msg, sizeof(p));
	if (!inside(p.data_offset, p.data_len, sizeof(p), msg_len)) {
		netvsc_rx_reject(rx, NETVSC_RX_PACKET_LAYOUT, "DataOffset %u, DataLength %u in a "
				 "%u-byte message", p.data_offset, p.data_len, msg_len);
		return false;
	}
	if (p.ppi_len && !inside(p.ppi_offset, p.ppi_len, sizeof(p), msg_len)) {
		netvsc_rx_reject(rx, NETVSC_RX_PACKET_LAYOUT, "PerPacketInfoOffset %u, length %u in "
				 "a %u-byte message", p.ppi_offset, p.ppi_len, msg_len);
		return false;
	}
	if (p.data_len < NETVSC_FRAME_MIN || p.data_len > NETVSC_FRAME_MAX) {
		netvsc_rx_reject(rx, NETVSC_RX_FRAME_SIZE, "%u bytes", p.data_len);
		return false;
	}
	rx->ops.frame(rx->ops.ctx, msg + RNDIS_HEADER_OFFSET + p.data_offset, p.data_len);
	return true;
}

/* The smallest message of each completion type, and where its buffer is. */
static bool rx_completion(struct netvsc_rx *rx, uint32_t type, const uint8_t *msg,
			  uint32_t msg_len)
{
	uint32_t rid, min = type == RNDIS_MSG_INIT_C	   ? sizeof(struct rndis_init_c)
			    : type == RNDIS_MSG_QUERY_C ? sizeof(struct rndis_query_c)
							: sizeof(struct rndis_set_c);
	struct rndis_query_c q;

	if (msg_len < 16) {
		/* Not even a request id and status: nobody to tell. */
		netvsc_rx_reject(rx, NETVSC_RX_CONTROL, "type %#x in %u bytes", type, msg_len);
		return false;
	}
	rid = get32(msg + 8);
	if (msg_len < min) {
		netvsc_rx_reject(rx, NETVSC_RX_CONTROL, "type %#x (request %u) in %u bytes; it is "
				 "at least %u", type, rid, msg_len, min);
		rx->ops.completion(rx->ops.ctx, type, rid, -EPROTO, msg, msg_len);
		return false;
	}
	if (type == RNDIS_MSG_QUERY_C) {
		memcpy(&q, msg, sizeof(q));
		if (q.info_len && !inside(q.info_offset, q.info_len, sizeof(q), msg_len)) {
			netvsc_rx_reject(rx, NETVSC_RX_CONTROL, "QUERY_CMPLT (request %u): "
					 "InformationBufferOffset %u, length %u in a %u-byte "
					 "message", rid, q.info_offset, q.info_len, msg_len);
			rx->ops.completion(rx->ops.ctx, type, rid, -EPROTO, msg, msg_len);
			return false;
		}
	}
	rx->ops.completion(rx->ops.ctx, type, rid, 0, msg, msg_len);
	return true;
}

/* Old vSwitches left the status buffer out of MessageLength (facts 6.7):
 * like Linux, bound it by the range instead. */
static bool rx_indication(struct netvsc_rx *rx, const uint8_t *msg, uint32_t msg_len,
			  uint32_t range_len)
{
	struct rndis_indicate ind;

	if (msg_len < sizeof(ind)) {
		netvsc_rx_reject(rx, NETVSC_RX_INDICATION, "%u bytes; it is at least 20", msg_len);
		return false;
	}
	memcpy(&ind, msg, sizeof(ind));
	if (ind.status_len && !inside(ind.status_offset, ind.status_len, sizeof(ind), range_len)) {
		netvsc_rx_reject(rx, NETVSC_RX_INDICATION, "status %#x: StatusBufferOffset %u, "
				 "length %u in a %u-byte range", ind.status, ind.status_offset,
				 ind.status_len, range_len);
		return false;
	}
	rx->ops.status(rx->ops.ctx, ind.status);
	return true;
}

bool netvsc_rx_message(struct netvsc_rx *rx, const uint8_t *msg, uint32_t range_len)
{
	uint32_t type, msg_len;

	if (range_len < sizeof(struct rndis_hdr)) {
		netvsc_rx_reject(rx, NETVSC_RX_MSG_LENGTH, "a %u-byte range", range_len);
		return false;
	}
	type = get32(msg);
	msg_len = get32(msg + 4);
	/* The range may be longer than the message (OpenVMM's data ranges are
	 * whole sub-allocations); never shorter. */
	if (msg_len < sizeof(struct rndis_hdr) || msg_len > range_len) {
		netvsc_rx_reject(rx, NETVSC_RX_MSG_LENGTH, "type %#x, MessageLength %u in a "
				 "%u-byte range", type, msg_len, range_len);
		return false;
	}
	rx->messages++;
	switch (type) {
	case RNDIS_MSG_PACKET:
		return rx_packet_msg(rx, msg, msg_len);
	case RNDIS_MSG_INIT_C:
	case RNDIS_MSG_QUERY_C:
	case RNDIS_MSG_SET_C:
	case RNDIS_MSG_KEEPALIVE_C:
		return rx_completion(rx, type, msg, msg_len);
	case RNDIS_MSG_INDICATE:
		return rx_indication(rx, msg, msg_len, range_len);
	default:
		/* Linux ignores these too (RESET_CMPLT: we never reset). */
		netvsc_rx_reject(rx, NETVSC_RX_UNKNOWN_TYPE, "type %#x, ignored", type);
		return true;
	}
}

uint32_t netvsc_rx_packet(struct netvsc_rx *rx, const struct ring_pkt *pkt)
{
	struct vmbus_xfer_page_hdr h;
	struct nvsp_msg nvsp;
	uint32_t payload = pkt->len - pkt->offset;
	bool ok = true;

	if (pkt->offset < XFER_HDR) {
		netvsc_rx_reject(rx, NETVSC_RX_SHORT_PACKET, "payload offset %u; the header is %u "
				 "bytes", pkt->offset, (unsigned)XFER_HDR);
		return NVSP_STAT_FAIL;
	}
	memcpy(&h, pkt->data, sizeof(h));
	if (h.xfer_pageset_id != rx->pageset_id) {
		netvsc_rx_reject(rx, NETVSC_RX_BAD_PAGESET, "id %#x, ours is %#x", h.xfer_pageset_id,
				 rx->pageset_id);
		return NVSP_STAT_FAIL;
	}
	/* The ranges sit between the header and the payload offset. */
	if ((uint64_t)XFER_HDR + (uint64_t)RANGE_BYTES * h.range_count > pkt->offset) {
		netvsc_rx_reject(rx, NETVSC_RX_RANGE_COUNT, "%u ranges before payload offset %u",
				 h.range_count, pkt->offset);
		return NVSP_STAT_FAIL;
	}
	memset(&nvsp, 0, sizeof(nvsp));
	memcpy(&nvsp, pkt->data + pkt->offset, HVB_MIN(payload, (uint32_t)sizeof(nvsp)));
	if (payload < 4) {
		netvsc_rx_reject(rx, NETVSC_RX_SHORT_PACKET, "a %u-byte NVSP message", payload);
		return NVSP_STAT_FAIL;
	}
	if (nvsp.type != NVSP_MSG1_SEND_RNDIS_PKT) {
		netvsc_rx_reject(rx, NETVSC_RX_BAD_NVSP, "NVSP type %u", nvsp.type);
		return NVSP_STAT_FAIL;
	}
	for (uint32_t i = 0; i < h.range_count; i++) {
		const uint8_t *r = pkt->data + XFER_HDR + (size_t)RANGE_BYTES * i;
		uint32_t count = get32(r), offset = get32(r + 4);

		if ((uint64_t)offset + count > rx->size) {
			netvsc_rx_reject(rx, NETVSC_RX_RANGE_OUTSIDE, "range %u: %u bytes at %u in a "
					 "%llu-byte buffer", i, count, offset,
					 (unsigned long long)rx->size);
			ok = false;
			continue;
		}
		if (count > rx->sub_alloc_size) {
			netvsc_rx_reject(rx, NETVSC_RX_RANGE_SIZE, "range %u: %u bytes, sub-allocations "
					 "are %u", i, count, rx->sub_alloc_size);
			ok = false;
			continue;
		}
		/* The one read of the shared bytes. */
		memcpy(rx->copy, rx->buf + offset, count);
		ok &= netvsc_rx_message(rx, rx->copy, count);
	}
	return ok ? NVSP_STAT_SUCCESS : NVSP_STAT_FAIL;
}
