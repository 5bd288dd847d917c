/* netvsc's receive path as a pure function: a transfer-page packet (a
 * private copy from the ring) and the receive buffer it points into. The
 * buffer is shared with the host, which may rewrite it at any time, so each
 * range is copied out exactly once into private memory and every length and
 * offset is checked in the copy before use (64-bit arithmetic throughout).
 * The driver (netvsc.c) and the fuzz target (tests/fuzz/fuzz_netvsc_rx.c)
 * run the same code. Nothing here touches VMBus. */
#ifndef VSC_NETVSC_RX_H
#define VSC_NETVSC_RX_H

#include <stdbool.h>
#include <stdint.h>

#include "../vmbus/ring.h"
#include "netvsc_proto.h"

#define NETVSC_FRAME_MIN 14u                  /* an Ethernet header */
#define NETVSC_FRAME_MAX (ETH_FRAME_MAX + 4u) /* 1514 + an 802.1Q tag */

/* What the receive path rejects; each kind is logged on its first
 * occurrence (and again at 10, 100, 1000, ...) and counted. */
enum netvsc_rx_fault {
	NETVSC_RX_SHORT_PACKET,  /* transfer-page header or NVSP message cut short */
	NETVSC_RX_BAD_PAGESET,   /* xfer_pageset_id is not our receive buffer's */
	NETVSC_RX_BAD_NVSP,      /* the inline NVSP message is not SEND_RNDIS_PKT */
	NETVSC_RX_RANGE_COUNT,   /* range_count does not fit the packet */
	NETVSC_RX_RANGE_OUTSIDE, /* a range runs past the receive buffer */
	NETVSC_RX_RANGE_SIZE,    /* a range larger than a sub-allocation */
	NETVSC_RX_MSG_LENGTH,    /* MessageLength < 8 or beyond its range */
	NETVSC_RX_PACKET_LAYOUT, /* PACKET data or per-packet info outside the message */
	NETVSC_RX_FRAME_SIZE,    /* a frame shorter than 14 or longer than 1518 bytes */
	NETVSC_RX_CONTROL,       /* a completion too short for its type, or its buffer outside it */
	NETVSC_RX_INDICATION,    /* INDICATE_STATUS too short, or its buffer outside the range */
	NETVSC_RX_UNKNOWN_TYPE,  /* an RNDIS message type a device does not send (ignored) */
	NETVSC_RX_FAULT_KINDS
};

struct netvsc_rx_ops {
	/* A whole Ethernet frame, valid during the call. */
	void (*frame)(void *ctx, const uint8_t *frame, uint32_t len);
	/* An RNDIS completion (type RNDIS_MSG_*_C) for request_id. err 0: the
	 * message is at least as long as its type and its buffers lie inside
	 * it; -EPROTO: only type and request id can be trusted. */
	void (*completion)(void *ctx, uint32_t type, uint32_t request_id, int err,
			   const uint8_t *msg, uint32_t len);
	/* INDICATE_STATUS: RNDIS_STATUS_MEDIA_CONNECT, ..._DISCONNECT, others. */
	void (*status)(void *ctx, uint32_t status);
	void *ctx;
};

struct netvsc_rx {
	const uint8_t *buf;      /* the receive buffer (shared with the host) */
	uint64_t size;           /* its bytes */
	uint32_t sub_alloc_size; /* the largest range accepted */
	uint16_t pageset_id;     /* the id we registered the buffer under */
	uint8_t *copy;           /* private: sub_alloc_size bytes */
	struct netvsc_rx_ops ops;
	const char *name;        /* for log lines: "netvsc relid 2" */
	uint64_t faults[NETVSC_RX_FAULT_KINDS];
	uint64_t messages;       /* RNDIS messages accepted */
};

/* One transfer-page packet: every valid range is processed, every invalid
 * one skipped. Returns the status for the completion: NVSP_STAT_SUCCESS, or
 * NVSP_STAT_FAIL when anything was malformed. */
uint32_t netvsc_rx_packet(struct netvsc_rx *rx, const struct ring_pkt *pkt);
/* One RNDIS message in private memory: range_len bytes, the message at the
 * start. false when it was malformed (counted and logged). */
bool netvsc_rx_message(struct netvsc_rx *rx, const uint8_t *msg, uint32_t range_len);
/* Count and (rate-limited) log one rejection. */
void netvsc_rx_reject(struct netvsc_rx *rx, enum netvsc_rx_fault kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "a range outside the receive buffer", for inventories and logs. */
const char *netvsc_rx_fault_name(enum netvsc_rx_fault kind);

#endif
