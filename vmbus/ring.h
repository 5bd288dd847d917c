/* One direction of a VMBus channel, seen from one side. The same code runs in
 * the guest and in hvsim; every index and length the peer writes is read
 * once, checked, and a bad one marks the ring broken (no further use, no
 * spin, one log line). */
#ifndef VMBUS_RING_H
#define VMBUS_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "ring_proto.h"

struct ring {
	struct vmbus_ring_hdr *hdr;
	uint8_t *data;
	uint32_t size;          /* data area bytes: a multiple of 8 */
	uint32_t allowed_types; /* reader: bit n set = packet type n accepted */
	uint32_t read_priv;     /* reader: private index during a batch */
	uint32_t read_start;    /* reader: read_index at the start of the batch */
	uint32_t write_priv;    /* writer: our write_index (never read back: the
				 * peer could scribble on the shared copy) */
	uint32_t read_seen;     /* writer: the peer's read index as last read; it
				 * may only move forward, towards write_priv */
	bool broken;
	bool batching;          /* writer: publish at ring_flush, not per packet */
	uint32_t published;     /* writer: the write index the reader has seen */
	char name[32];          /* for log lines: "relid 3 in" */
};

struct ring_seg {
	const void *p;
	uint32_t len;
};

/* A packet copied out of a ring. data points to the copy (descriptor
 * first); the payload is data[offset, len). */
struct ring_pkt {
	uint16_t type, flags;
	uint64_t trans_id;
	uint32_t offset; /* offset8 * 8 */
	uint32_t len;    /* len8 * 8 */
	const uint8_t *data;
};

/* base: the header page, total: header + data bytes (>= 2 pages, a multiple
 * of 4096). Takes both indices as they are (each side owns one), checking
 * them. Returns 0, or -EINVAL for a bad size or a bad index. */
int ring_init(struct ring *r, void *base, uint32_t total, const char *name);
/* Zero both indices, set feature bit 0 (we honour pending_send_sz). Only
 * before the ring is shared. */
void ring_reset(struct ring *r);

/* Producer. The segments are one packet: descriptor first, lengths adding up
 * to len8 * 8. Never fills the ring completely. Returns 0, -EAGAIN (no room
 * now), -EMSGSIZE (can never fit), -EINVAL (bad packet), -EPIPE (broken).
 * *signal: whether the peer must be signalled (empty -> non-empty and the
 * peer's interrupt_mask clear). */
int ring_write(struct ring *r, const struct ring_seg *segs, unsigned nsegs, bool *signal);
/* Batching (writer): between ring_batch_begin and ring_flush, ring_write
 * copies packets but publishes nothing and never signals; ring_flush then
 * publishes them all with one store and one fence, and says whether to
 * signal (the ring was empty before the batch and the reader's
 * interrupt_mask is clear). Each published packet costs a full fence for
 * the signal decision: batching pays it once per batch. */
void ring_batch_begin(struct ring *r);
void ring_flush(struct ring *r, bool *signal);
/* Inband / completion packet with the payload after a 16-byte descriptor. */
int ring_write_inband(struct ring *r, uint16_t type, uint16_t flags, uint64_t trans_id,
		      const void *payload, uint32_t len, bool *signal);
/* Ask to be signalled when bytes are free (0 clears). Returns true if that
 * much is free already (re-check after setting, the signal may be missed). */
bool ring_want_space(struct ring *r, uint32_t bytes);
/* Bytes a write can use now (what ring_write compares against), 0 if broken. */
uint32_t ring_free_bytes(struct ring *r);

/* Consumer. Copies the next packet into buf and checks it: descriptor
 * complete, type allowed, flags known, offset8 >= 2, len8 >= offset8, the
 * packet and its trailer available, len <= buflen. Returns 1 (packet in
 * *pkt), 0 (empty), or -EPIPE (the ring is broken: logged once). */
int ring_read(struct ring *r, void *buf, uint32_t buflen, struct ring_pkt *pkt);
/* Publish what was read. *signal: whether the producer must be signalled
 * (it asked via pending_send_sz and now has room). */
void ring_read_done(struct ring *r, bool *signal);
/* Consumer's interrupt mask (batched reading, facts 4.5). */
void ring_set_mask(struct ring *r, bool masked);
/* Bytes waiting to be read; non-zero also when the peer's index is bad, so
 * that the next ring_read reports it. 0 when broken. */
uint32_t ring_pending_bytes(struct ring *r);

#endif
