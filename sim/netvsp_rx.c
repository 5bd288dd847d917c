/* netvsp towards the guest (facts 6.6): RNDIS control messages in the 16
 * reserved control sub-allocations, one transfer-page packet each with
 * trans_id = the sub-allocation index; frames one per data sub-allocation
 * in OpenVMM's layout (MessageLength = the sub-allocation size, the frame
 * at byte 256), and, as OpenVMM's process_endpoint_rx does, every frame
 * ready at once (up to NV_RX_BATCH) in one transfer-page packet, a range
 * each, trans_id = the first one's index. The guest's NVSP 108 completion
 * of a packet frees all its sub-allocations; they are used again only
 * then. Frames wait in a queue while the packet filter is 0 or every
 * sub-allocation is taken. The frame faults (loss, duplicates,
 * reordering, corruption) and the malformed-packet faults live here. */
#include <string.h>

#include "../lib/util.h"
#include "netvsp.h"

#define FAULT_PERCENT 5u
#define HOLD_TICKS 100000u            /* REORDER: a held frame goes after 10 ms anyway */
#define BAD_RANGE_OFFSET 0xFFFFFFF0u  /* RANGE_OUTSIDE_BUFFER: wraps a 32-bit sum */
#define BAD_RANGE_COUNT 0x20000000u   /* RANGE_COUNT_OVERFLOW: 8 x this wraps to 0 in 32 bits */
#define ETH_HDR 14u

struct nv_range {
	uint32_t count, offset;
};

static bool chance(struct hvsim *sim)
{
	return sim_rand(sim) % 100 < FAULT_PERCENT;
}

static struct sim_offer *net_offer(struct hvsim *sim)
{
	return sim_offer_by_relid(sim, sim->netvsp->net_relid);
}

/* --- transfer-page packets ---------------------------------------------------------- */

static void send_xfer(struct hvsim *sim, struct sim_offer *o, uint32_t channel_type, uint64_t tid,
		      const struct nv_range *r, unsigned nr, uint32_t range_count)
{
	struct sim_nv_chan *c = o->nv;
	uint32_t nvsp_len = c->version >= NVSP_VERSION_61 ? NVSP_MSG_SIZE : NVSP_MSG_SIZE_MIN;
	uint32_t at = (uint32_t)sizeof(struct vmbus_xfer_page_hdr) + 8 * nr;
	struct vmbus_xfer_page_hdr h = {
		.desc = {
			.type = VMBUS_PKT_DATA_XFER_PAGES,
			.offset8 = (uint16_t)(at / 8),
			.len8 = (uint16_t)((at + nvsp_len) / 8),
			.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
			.trans_id = tid,
		},
		.xfer_pageset_id = c->recv_id,
		.range_count = range_count,
	};
	struct nvsp_msg m;
	uint8_t pkt[sizeof(h) + (NV_RX_BATCH + 1) * sizeof(struct nv_range) + NVSP_MSG_SIZE];

	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.rndis_pkt.channel_type = channel_type;
	m.rndis_pkt.send_buf_section_index = NVSP_NO_SECTION;
	memcpy(pkt, &h, sizeof(h));
	memcpy(pkt + sizeof(h), r, 8 * nr);
	memcpy(pkt + at, &m, nvsp_len);
	sim_chan_send(sim, o, pkt, at + nvsp_len, false);
}

/* One transfer-page packet for sub-allocations ids[0..nid) (count bytes
 * each), with the range faults; trans_id is the first. */
static void send_ranges(struct hvsim *sim, struct sim_offer *o, bool data, const uint32_t *ids,
			unsigned nid, uint32_t count)
{
	struct sim_netvsp *n = sim->netvsp;
	uint32_t faults = sim->cfg.netvsp_faults, range_count;
	struct nv_range r[NV_RX_BATCH + 1];
	unsigned nr = 0;

	if (!(n->fired & NV_FIRED_XFER)) {
		n->fired |= NV_FIRED_XFER;
		/* A range past the end first; the real ones follow. */
		if (faults & HVSIM_NETVSP_RANGE_OUTSIDE_BUFFER)
			r[nr++] = (struct nv_range){ 64, BAD_RANGE_OFFSET };
	}
	for (unsigned i = 0; i < nid && i < NV_RX_BATCH; i++)
		r[nr++] = (struct nv_range){ count, ids[i] * o->nv->sub_size };
	range_count = nr;
	if (data && !(n->fired & NV_FIRED_DATA_PKT)) {
		n->fired |= NV_FIRED_DATA_PKT;
		if (faults & HVSIM_NETVSP_RANGE_COUNT_OVERFLOW)
			range_count = BAD_RANGE_COUNT;
	}
	send_xfer(sim, o, data ? NVSP_RNDIS_CHANNEL_DATA : NVSP_RNDIS_CHANNEL_CONTROL, ids[0], r,
		  nr, range_count);
}

/* --- sub-allocations ------------------------------------------------------------------- */

static uint32_t ctl_alloc(struct sim_nv_chan *c)
{
	for (uint32_t i = 0; i < NV_CTL_SUBALLOCS; i++)
		if (!c->sub_busy[i])
			return i;
	return UINT32_MAX;
}

/* The data sub-allocation freed last: the few in use at a time stay in
 * the caches of both sides, where going round the whole buffer (16 MiB)
 * missed on every frame, host writing and guest reading. */
static uint32_t data_alloc(struct sim_nv_chan *c)
{
	return c->data_free ? c->free_data[--c->data_free] : UINT32_MAX;
}

/* Sub-allocation idx goes out in a packet: as its first range (whose index
 * is the packet's trans_id) or after prev in the same packet. */
static void take(struct sim_nv_chan *c, uint32_t idx, uint32_t prev)
{
	c->sub_busy[idx] = prev == UINT32_MAX ? NV_SUB_HEAD : NV_SUB_MEMBER;
	c->sub_next[idx] = UINT32_MAX;
	if (prev != UINT32_MAX)
		c->sub_next[prev] = idx;
}

bool nv_guest_completion(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt)
{
	struct sim_nv_chan *c = o->nv;
	uint32_t plen = pkt->len - pkt->offset, m[2] = { 0, 0 };
	uint64_t tid = pkt->trans_id;

	memcpy(m, pkt->data + pkt->offset, HVB_MIN(plen, (uint32_t)sizeof(m)));
	if (plen < sizeof(m) || m[0] != NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE)
		return nv_stop(sim, o, "a %u-byte completion (NVSP type %u) for transfer-page packet "
			       "%llu; it must carry SEND_RNDIS_PKT_COMPLETE (8 bytes)", plen, m[0],
			       (unsigned long long)tid);
	if (!c->sub_busy || tid >= c->sub_count || c->sub_busy[tid] != NV_SUB_HEAD)
		return nv_stop(sim, o, "a completion for transfer-page packet %llu, which is not "
			       "outstanding", (unsigned long long)tid);
	/* Every range of the packet is free again (the chain is ours, and
	 * no longer than the packet's NV_RX_BATCH ranges). */
	for (uint32_t i = (uint32_t)tid, k = 0; i != UINT32_MAX && k < NV_RX_BATCH; k++) {
		uint32_t next = c->sub_next[i];

		/* Each went out once (data_alloc took it off the stack). */
		if (c->sub_busy[i] && i >= NV_CTL_SUBALLOCS)
			c->free_data[c->data_free++] = i;
		c->sub_busy[i] = 0;
		i = next;
	}
	if (m[1] != NVSP_STAT_SUCCESS)
		sim->netvsp->stats.rx_failed++;
	return true;
}

/* --- control messages -------------------------------------------------------------------- */

void nv_ctl_send(struct hvsim *sim, struct sim_offer *o, const void *msg, uint32_t len)
{
	struct sim_nv_chan *c = o->nv;
	struct nv_ctlmsg *m;

	if (c->nctlq == NV_CTLQ) {
		/* Only a guest that never completes the control packets (or
		 * floods KEEPALIVE) gets here. */
		sim_violation(sim, "relid %u: netvsc: %u RNDIS answers wait for a control "
			      "sub-allocation; the guest does not complete them; one dropped",
			      o->relid, NV_CTLQ);
		return;
	}
	m = &c->ctlq[(c->ctlq_head + c->nctlq++) % NV_CTLQ];
	m->len = HVB_MIN(len, NV_CTL_MSG_MAX);
	memcpy(m->data, msg, m->len);
}

/* --- frames ---------------------------------------------------------------------------------- */

static void rxq_push(struct hvsim *sim, const uint8_t *f, uint32_t len)
{
	struct sim_netvsp *n = sim->netvsp;
	struct sim_offer *o = net_offer(sim);
	struct nv_frame *q;

	/* Nobody to give it to, or too much waiting: lost, as on a wire. */
	if (!o || !o->nv || o->stopped || n->nrxq == NV_RXQ || len > NV_FRAME_MAX) {
		n->stats.dropped++;
		return;
	}
	q = &n->rxq[(n->rxq_head + n->nrxq++) % NV_RXQ];
	q->len = len;
	memcpy(q->data, f, len);
	/* CORRUPT: a byte behind the IPv4 header, where a transport checksum
	 * covers it (ARP has none: left alone). */
	if ((sim->cfg.netvsp_faults & HVSIM_NETVSP_CORRUPT) && len > ETH_HDR + 20 &&
	    q->data[12] == 0x08 && q->data[13] == 0x00 && chance(sim)) {
		uint32_t from = ETH_HDR + (q->data[ETH_HDR] & 15u) * 4;

		if (from < len)
			q->data[from + sim_rand(sim) % (len - from)] ^= 0xff;
	}
}

static void tx_out(struct hvsim *sim, const uint8_t *f, uint32_t len)
{
	struct sim_netvsp *n = sim->netvsp;

	if (n->backend)
		n->backend->send(n->backend, f, len);
	else
		n->stats.dropped++;
}

/* LOSS, REORDER, DUPLICATE on one direction. */
static void pipe(struct hvsim *sim, struct nv_hold *h, const uint8_t *f, uint32_t len,
		 void (*out)(struct hvsim *sim, const uint8_t *f, uint32_t len))
{
	uint32_t faults = sim->cfg.netvsp_faults;

	if ((faults & HVSIM_NETVSP_LOSS) && chance(sim)) {
		sim->netvsp->stats.dropped++;
		return;
	}
	if (faults & HVSIM_NETVSP_REORDER) {
		if (h->holding) {
			out(sim, f, len); /* the next one overtakes the held one */
			h->holding = false;
			out(sim, h->f.data, h->f.len);
			return;
		}
		if (chance(sim) && len <= NV_FRAME_MAX) {
			h->holding = true;
			h->since = sim_now(sim);
			h->f.len = len;
			memcpy(h->f.data, f, len);
			return;
		}
	}
	out(sim, f, len);
	if ((faults & HVSIM_NETVSP_DUPLICATE) && chance(sim))
		out(sim, f, len);
}

void nv_frame_to_guest(struct hvsim *sim, const void *frame, size_t len)
{
	if (len > NV_FRAME_MAX) {
		sim->netvsp->stats.dropped++;
		return;
	}
	pipe(sim, &sim->netvsp->hold_rx, frame, (uint32_t)len, rxq_push);
}

void nv_frame_from_guest(struct hvsim *sim, const uint8_t *frame, uint32_t len)
{
	pipe(sim, &sim->netvsp->hold_tx, frame, len, tx_out);
}

bool nv_release_held(struct hvsim *sim)
{
	struct sim_netvsp *n = sim->netvsp;
	uint64_t now = sim_now(sim);
	bool work = false;

	if (n->hold_rx.holding && now - n->hold_rx.since >= HOLD_TICKS) {
		n->hold_rx.holding = false;
		rxq_push(sim, n->hold_rx.f.data, n->hold_rx.f.len);
		work = true;
	}
	if (n->hold_tx.holding && now - n->hold_tx.since >= HOLD_TICKS) {
		n->hold_tx.holding = false;
		tx_out(sim, n->hold_tx.f.data, n->hold_tx.f.len);
		work = true;
	}
	return work;
}

/* One frame into data sub-allocation idx, in OpenVMM's layout: PACKET
 * header, one checksum PPI (all zero: "unknown"), the frame at byte 256. */
static bool write_frame(struct hvsim *sim, struct sim_offer *o, uint32_t idx,
			const struct nv_frame *f)
{
	struct sim_netvsp *n = sim->netvsp;
	struct sim_nv_chan *c = o->nv;
	struct {
		struct rndis_packet p;
		struct rndis_ppi ppi;
		uint32_t csum;
	} __attribute__((packed)) h;
	uint64_t at = (uint64_t)idx * c->sub_size;

	memset(&h, 0, sizeof(h));
	h.p.hdr.msg_type = RNDIS_MSG_PACKET;
	h.p.hdr.msg_len = c->sub_size;
	h.p.data_offset = NV_RX_DATA_AT - RNDIS_HEADER_OFFSET;
	h.p.data_len = f->len;
	h.p.ppi_offset = sizeof(h.p) - RNDIS_HEADER_OFFSET;
	h.p.ppi_len = sizeof(h.ppi) + sizeof(h.csum);
	h.ppi.size = sizeof(h.ppi) + sizeof(h.csum);
	h.ppi.type = 0; /* TCP/IP checksum info */
	h.ppi.offset = sizeof(h.ppi);
	if (!(n->fired & NV_FIRED_DATA)) {
		n->fired |= NV_FIRED_DATA;
		if (sim->cfg.netvsp_faults & HVSIM_NETVSP_BAD_RNDIS_OFFSET)
			h.p.data_offset = c->sub_size; /* the frame "past" its range */
	}
	return nv_gpadl_io(sim, c->recv_gpadl, at, &h, sizeof(h), true) &&
	       nv_gpadl_io(sim, c->recv_gpadl, at + NV_RX_DATA_AT, (void *)f->data, f->len, true);
}

/* The receive buffer went away under the host (a GPADL_TEARDOWN without
 * REVOKE, already a violation): stop writing it. */
static void recv_lost(struct sim_offer *o)
{
	o->nv->recv_revoked = true;
}

void sim_netvsp_pump(struct hvsim *sim, struct sim_offer *o)
{
	struct sim_netvsp *n = sim->netvsp;
	struct sim_nv_chan *c = o->nv;

	if (!c || !c->got_recv_buf || c->recv_revoked)
		return;
	while (!o->ntx && !o->stopped && c->nctlq) {
		struct nv_ctlmsg *m = &c->ctlq[c->ctlq_head];
		uint32_t idx = ctl_alloc(c);

		if (idx == UINT32_MAX)
			break; /* the guest holds all 16 */
		if (!nv_gpadl_io(sim, c->recv_gpadl, (uint64_t)idx * c->sub_size, m->data, m->len,
				 true)) {
			recv_lost(o);
			return;
		}
		take(c, idx, UINT32_MAX);
		c->ctlq_head = (c->ctlq_head + 1) % NV_CTLQ;
		c->nctlq--;
		send_ranges(sim, o, false, &idx, 1, m->len);
	}
	if (o != net_offer(sim))
		return;
	/* OpenVMM passes no frames while the filter is 0. */
	while (!o->ntx && !o->stopped && n->nrxq && c->rndis == NV_RNDIS_UP && c->filter) {
		uint32_t ids[NV_RX_BATCH], nid = 0;

		/* Every frame waiting that has a sub-allocation, up to a
		 * batch, in one packet. */
		while (nid < NV_RX_BATCH && n->nrxq) {
			struct nv_frame *f = &n->rxq[n->rxq_head];
			uint32_t idx;

			if (NV_RX_DATA_AT + f->len > c->sub_size) {
				n->stats.dropped++; /* larger than the MTU the guest configured */
			} else {
				idx = data_alloc(c);
				if (idx == UINT32_MAX)
					break; /* all taken: the guest's completions free them */
				if (!write_frame(sim, o, idx, f)) {
					recv_lost(o);
					return;
				}
				take(c, idx, nid ? ids[nid - 1] : UINT32_MAX);
				ids[nid++] = idx;
				n->stats.frames_to_guest++;
			}
			n->rxq_head = (n->rxq_head + 1) % NV_RXQ;
			n->nrxq--;
		}
		if (nid == 0)
			return;
		send_ranges(sim, o, true, ids, nid, c->sub_size);
	}
}

/* Whether a service pass would send something now. */
bool nv_can_pump(struct hvsim *sim, struct sim_offer *o)
{
	struct sim_netvsp *n = sim->netvsp;
	struct sim_nv_chan *c = o->nv;

	if (!c || o->stopped || o->ntx || o->state != SIM_CHAN_OPEN || !c->got_recv_buf ||
	    c->recv_revoked)
		return false;
	if (c->nctlq && ctl_alloc(c) != UINT32_MAX)
		return true;
	return o == net_offer(sim) && n->nrxq && c->rndis == NV_RNDIS_UP && c->filter &&
	       c->data_free;
}
