/* VMBus ring buffers and packets (facts section 4). Shared by the guest and
 * hvsim: both sides use vmbus/ring.c, and each treats the other as untrusted. */
#ifndef VMBUS_RING_PROTO_H
#define VMBUS_RING_PROTO_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/* Ring header page (4096 bytes); the data area follows it. */
struct vmbus_ring_hdr {
	uint32_t write_index;     /* producer: next byte to write */
	uint32_t read_index;      /* consumer: next byte to read */
	uint32_t interrupt_mask;  /* consumer: 1 = do not signal me */
	uint32_t pending_send_sz; /* producer: signal me when this many bytes are free */
	uint8_t reserved1[48];
	uint32_t feature_bits;    /* bit 0: this ring's producer honours pending_send_sz */
	uint8_t reserved2[4028];
};
static_assert(sizeof(struct vmbus_ring_hdr) == 4096, "ring header is one page");
static_assert(offsetof(struct vmbus_ring_hdr, feature_bits) == 64, "feature_bits @64");
#define VMBUS_RING_FEAT_PENDING_SEND_SZ 1u

enum vmbus_pkt_type {
	VMBUS_PKT_DATA_INBAND = 0x6,
	VMBUS_PKT_DATA_XFER_PAGES = 0x7,
	VMBUS_PKT_DATA_GPA_DIRECT = 0x9,
	VMBUS_PKT_COMP = 0xB,
};
#define VMBUS_PKT_FLAG_COMPLETION_REQUESTED 1u

/* Every packet starts with this descriptor; lengths in 8-byte units. */
struct vmbus_pkt_desc {
	uint16_t type;
	uint16_t offset8;  /* payload offset from the descriptor, >= 2 */
	uint16_t len8;     /* whole packet without the trailer */
	uint16_t flags;
	uint64_t trans_id; /* echoed by the completion; 0 = unsolicited */
};
static_assert(sizeof(struct vmbus_pkt_desc) == 16, "descriptor is 16 bytes");
#define VMBUS_PKT_TRAILER 8u /* u64: the packet's start index << 32 */

/* GPA-direct (type 9): after the descriptor, reserved + range count, then
 * ranges of {byte_count, byte_offset, pfn[]}. */
struct vmbus_gpa_direct_hdr {
	struct vmbus_pkt_desc desc;
	uint32_t reserved;
	uint32_t range_count;
};
static_assert(sizeof(struct vmbus_gpa_direct_hdr) == 24, "GPA-direct header is 24 bytes");

struct vmbus_gpa_range {
	uint32_t byte_count;
	uint32_t byte_offset; /* < 4096 */
	/* uint64_t pfn[ceil((byte_offset + byte_count) / 4096)] follows */
};
static_assert(sizeof(struct vmbus_gpa_range) == 8, "range header is 8 bytes");

/* Transfer-page packet (type 7, host->guest netvsc receive). */
struct vmbus_xfer_page_hdr {
	struct vmbus_pkt_desc desc;
	uint16_t xfer_pageset_id;
	uint8_t sender_owns_set;
	uint8_t reserved;
	uint32_t range_count;
	/* struct { uint32_t byte_count, byte_offset; } ranges[range_count] follow */
};
static_assert(sizeof(struct vmbus_xfer_page_hdr) == 24, "transfer-page header is 24 bytes");

#endif
