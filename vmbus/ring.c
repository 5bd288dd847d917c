/* Ring buffers (facts 4.2-4.5). Indices are byte offsets in the data area,
 * multiples of 8; write == read means empty, so a writer never fills the
 * ring completely. Receives data from the peer: every index it writes is
 * read once and validated, every packet is copied out before it is parsed. */
#include "ring.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"

static void ring_broken(struct ring *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ring_broken(struct ring *r, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	if (r->broken)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->broken = true;
	log_err("ring %s: %s; the channel is unusable from now on", r->name, why);
}

static bool index_ok(const struct ring *r, uint32_t i) { return i < r->size && (i & 7) == 0; }

static uint32_t used(const struct ring *r, uint32_t w, uint32_t rd)
{
	return w >= rd ? w - rd : r->size - rd + w;
}

int ring_init(struct ring *r, void *base, uint32_t total, const char *name)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (total < 2 * HVB_PAGE_SIZE || total % HVB_PAGE_SIZE)
		return -EINVAL;
	r->hdr = base;
	r->data = (uint8_t *)base + HVB_PAGE_SIZE;
	r->size = total - HVB_PAGE_SIZE;
	r->read_priv = r->read_start = hvb_read32(&r->hdr->read_index);
	r->write_priv = hvb_read32(&r->hdr->write_index);
	r->read_seen = r->read_priv;
	r->published = r->write_priv;
	if (!index_ok(r, r->read_priv) || !index_ok(r, r->write_priv))
		return -EINVAL;
	return 0;
}

void ring_reset(struct ring *r)
{
	hvb_write32(&r->hdr->write_index, 0);
	hvb_write32(&r->hdr->read_index, 0);
	hvb_write32(&r->hdr->interrupt_mask, 0);
	hvb_write32(&r->hdr->pending_send_sz, 0);
	hvb_write32(&r->hdr->feature_bits, VMBUS_RING_FEAT_PENDING_SEND_SZ);
	r->read_priv = r->read_start = r->write_priv = r->read_seen = r->published = 0;
	r->broken = false;
	r->batching = false;
}

static void copy_in(struct ring *r, uint32_t off, const void *src, uint32_t len)
{
	uint32_t first = HVB_MIN(len, r->size - off);

	memcpy(r->data + off, src, first);
	memcpy(r->data, (const uint8_t *)src + first, len - first);
}

static void copy_out(const struct ring *r, uint32_t off, void *dst, uint32_t len)
{
	uint32_t first = HVB_MIN(len, r->size - off);

	memcpy(dst, r->data + off, first);
	memcpy((uint8_t *)dst + first, r->data, len - first);
}

/* The peer's read index, once, checked. */
static int peer_read_index(struct ring *r, uint32_t *out)
{
	uint32_t rd = hvb_read32(&r->hdr->read_index);

	if (!index_ok(r, rd)) {
		ring_broken(r, "the peer's read index %u is not an 8-byte offset inside the %u-byte "
			    "ring", rd, r->size);
		return -EPIPE;
	}
	*out = rd;
	return 0;
}

uint32_t ring_free_bytes(struct ring *r)
{
	uint32_t rd;

	if (r->broken || peer_read_index(r, &rd))
		return 0;
	return r->size - used(r, r->write_priv, rd);
}

int ring_write(struct ring *r, const struct ring_seg *segs, unsigned nsegs, bool *signal)
{
	uint32_t total = 0, need, rd, w = r->write_priv, off;

	uint64_t trailer;

	*signal = false;
	if (r->broken)
		return -EPIPE;
	for (unsigned i = 0; i < nsegs; i++) {
		if (segs[i].len > r->size)
			return -EMSGSIZE;
		total += segs[i].len;
	}
	if (total < sizeof(struct vmbus_pkt_desc) || total % 8)
		return -EINVAL;
	need = total + VMBUS_PKT_TRAILER;
	if (need >= r->size)
		return -EMSGSIZE;
	/* The peer's read index, once per packet, checked: in range, aligned,
	 * and between where it was and what we wrote (it never moves back;
	 * one that jumps ahead of the writer would wedge the ring as "full"). */
	if (peer_read_index(r, &rd))
		return -EPIPE;
	if (used(r, w, rd) > used(r, w, r->read_seen)) {
		ring_broken(r, "the peer's read index moved backwards or past the writer (%u, was %u, "
			    "write index %u)", rd, r->read_seen, w);
		return -EPIPE;
	}
	r->read_seen = rd;
	/* Strictly more free than needed: a full ring would read as empty. */
	if (r->size - used(r, w, rd) <= need)
		return -EAGAIN;
	off = w;
	for (unsigned i = 0; i < nsegs; i++) {
		copy_in(r, off, segs[i].p, segs[i].len);
		off = (off + segs[i].len) % r->size;
	}
	trailer = (uint64_t)w << 32;
	copy_in(r, off, &trailer, sizeof(trailer));
	r->write_priv = (off + VMBUS_PKT_TRAILER) % r->size;
	if (!r->batching)
		ring_flush(r, signal);
	return 0;
}

void ring_batch_begin(struct ring *r) { r->batching = true; }

void ring_flush(struct ring *r, bool *signal)
{
	uint32_t before = r->published;

	*signal = false;
	r->batching = false;
	if (r->broken || r->write_priv == before)
		return;
	/* A release store: the packets are visible before the index that
	 * publishes them (no fence needed for store-store order). */
	hvb_write32(&r->hdr->write_index, r->write_priv);
	r->published = r->write_priv;
	/* Signal only on empty -> non-empty, and only if the reader wants it:
	 * Hyper-V throttles guests that signal when not expected. The fence
	 * orders our index store before the loads of the reader's fields. */
	hvb_mb();
	if (hvb_read32(&r->hdr->interrupt_mask) == 0)
		*signal = hvb_read32(&r->hdr->read_index) == before;
}

int ring_write_inband(struct ring *r, uint16_t type, uint16_t flags, uint64_t trans_id,
		      const void *payload, uint32_t len, bool *signal)
{
	static const uint8_t zeros[8];
	uint32_t padded = (len + 7) & ~7u;
	struct vmbus_pkt_desc d = {
		.type = type,
		.offset8 = sizeof(d) / 8,
		.len8 = (uint16_t)((sizeof(d) + padded) / 8),
		.flags = flags,
		.trans_id = trans_id,
	};
	struct ring_seg segs[3] = { { &d, sizeof(d) }, { payload, len }, { zeros, padded - len } };

	*signal = false;
	if (sizeof(d) + padded > 0xffff * 8u)
		return -EMSGSIZE;
	return ring_write(r, segs, 3, signal);
}

bool ring_want_space(struct ring *r, uint32_t bytes)
{
	hvb_write32(&r->hdr->pending_send_sz, bytes);
	hvb_mb();
	return bytes == 0 || ring_free_bytes(r) > bytes;
}

int ring_read(struct ring *r, void *buf, uint32_t buflen, struct ring_pkt *pkt)
{
	struct vmbus_pkt_desc d;
	uint32_t w, avail, len;

	if (r->broken)
		return -EPIPE;
	w = hvb_read32(&r->hdr->write_index); /* once */
	if (!index_ok(r, w)) {
		ring_broken(r, "the peer's write index %u is not an 8-byte offset inside the %u-byte "
			    "ring", w, r->size);
		return -EPIPE;
	}
	avail = used(r, w, r->read_priv);
	if (avail == 0)
		return 0;
	if (avail < sizeof(d) + VMBUS_PKT_TRAILER) {
		ring_broken(r, "only %u bytes available, less than a descriptor and trailer", avail);
		return -EPIPE;
	}
	copy_out(r, r->read_priv, &d, sizeof(d));
	if (d.type >= 32 || !(r->allowed_types & (1u << d.type))) {
		ring_broken(r, "packet type %u is not one this ring carries", d.type);
		return -EPIPE;
	}
	if (d.flags & ~VMBUS_PKT_FLAG_COMPLETION_REQUESTED) {
		ring_broken(r, "unknown packet flags 0x%x", d.flags);
		return -EPIPE;
	}
	if (d.offset8 < 2 || d.len8 < d.offset8) {
		ring_broken(r, "bad packet layout: offset8 %u, len8 %u", d.offset8, d.len8);
		return -EPIPE;
	}
	len = (uint32_t)d.len8 * 8;
	if (len + VMBUS_PKT_TRAILER > avail) {
		ring_broken(r, "a %u-byte packet claims more than the %u bytes available", len, avail);
		return -EPIPE;
	}
	if (len > buflen) {
		ring_broken(r, "a %u-byte packet is larger than any this channel expects (%u)", len,
			    buflen);
		return -EPIPE;
	}
	copy_out(r, r->read_priv, buf, len);
	/* The peer may have changed the descriptor since we checked it: the
	 * copy carries the checked one, so data and fields always agree. */
	memcpy(buf, &d, sizeof(d));
	r->read_priv = (r->read_priv + len + VMBUS_PKT_TRAILER) % r->size;
	pkt->type = d.type;
	pkt->flags = d.flags;
	pkt->trans_id = d.trans_id;
	pkt->offset = (uint32_t)d.offset8 * 8;
	pkt->len = len;
	pkt->data = buf;
	return 1;
}

void ring_read_done(struct ring *r, bool *signal)
{
	uint32_t pss, w, before, after;

	*signal = false;
	if (r->read_priv == r->read_start)
		return;
	hvb_mb(); /* finished with the packets before the producer may reuse the space */
	hvb_write32(&r->hdr->read_index, r->read_priv);
	before = r->read_start;
	r->read_start = r->read_priv;
	if (r->broken || !(hvb_read32(&r->hdr->feature_bits) & VMBUS_RING_FEAT_PENDING_SEND_SZ))
		return; /* the producer polls (pre-WS2012) */
	hvb_mb();
	pss = hvb_read32(&r->hdr->pending_send_sz);
	w = hvb_read32(&r->hdr->write_index);
	if (pss == 0 || !index_ok(r, w))
		return;
	/* Signal on the transition from "not enough room" to "enough". */
	before = r->size - used(r, w, before);
	after = r->size - used(r, w, r->read_priv);
	*signal = before <= pss && pss < after;
}

void ring_set_mask(struct ring *r, bool masked)
{
	hvb_write32(&r->hdr->interrupt_mask, masked ? 1 : 0);
	hvb_mb();
}

uint32_t ring_pending_bytes(struct ring *r)
{
	uint32_t w;

	if (r->broken)
		return 0;
	w = hvb_read32(&r->hdr->write_index);
	if (!index_ok(r, w))
		return 8;
	return used(r, w, r->read_priv);
}
