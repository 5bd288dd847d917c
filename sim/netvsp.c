/* netvsp: the host side of the synthetic NIC (facts 6) on netvsc channels,
 * following OpenVMM's netvsp (facts 6.4 "host-side rules"): the NVSP
 * versions exactly, NDIS_CONFIG before SEND_RECV_BUF, 256 + MTU + 36-byte
 * receive sub-allocations, 6144-byte send sections, the first
 * SEND_RNDIS_PKT ending set-up, RNDIS INITIALIZE/QUERY/SET/KEEPALIVE/HALT
 * answered as OpenVMM answers them. Everything the guest sends is
 * untrusted: NVSP messages are copied out of the packet, RNDIS bytes are
 * copied out of guest memory (send section or GPA-direct ranges) into a
 * private buffer and walked there; what OpenVMM treats as fatal is a
 * violation that stops the channel, what it completes with status 2 is
 * completed with status 2. The way to the guest (transfer-page packets,
 * the frame queue, the faults) is in netvsp_rx.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "netvsp.h"

#define LINK_SPEED 100000000u      /* 10 Gbit/s in 100 bit/s units */
#define LINK_UP_DELAY 500000u      /* LINK_DOWN_UP: 50 ms of reference time */
#define GPA_RANGES_AT sizeof(struct vmbus_gpa_direct_hdr)

static const uint32_t versions[] = { NVSP_VERSION_1, NVSP_VERSION_2, NVSP_VERSION_4,
				     NVSP_VERSION_5, NVSP_VERSION_6, NVSP_VERSION_61 };

/* Until sim/netdev_slirp.c is linked in (its definition wins). */
__attribute__((weak)) struct sim_netdev *sim_netdev_slirp(const struct sim_slirp_config *c)
{
	(void)c;
	fprintf(stderr, "hvsim: slirp backend not built\n");
	return NULL;
}

bool nv_stop(struct hvsim *sim, struct sim_offer *o, const char *fmt, ...)
{
	char why[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sim_violation(sim, "relid %u: netvsc: %s; the host stops serving the channel", o->relid, why);
	o->stopped = true;
	return false;
}

void nv_teardown_note(struct hvsim *sim, const char *event)
{
	char *t = sim->netvsp->stats.teardown;
	size_t len = strlen(t);

	snprintf(t + len, sizeof(sim->netvsp->stats.teardown) - len, "%s%s", len ? "," : "", event);
}

bool nv_gpadl_io(struct hvsim *sim, uint32_t handle, uint64_t off, void *buf, uint32_t len,
		 bool write)
{
	struct sim_gpadl *g = sim_gpadl_find(sim, handle);
	uint8_t *p = buf;

	if (!g || g->state != SIM_GPADL_READY || off + len > (uint64_t)g->npfns * HVB_PAGE_SIZE)
		return false;
	while (len) {
		uint32_t in_page = (uint32_t)(off % HVB_PAGE_SIZE);
		uint32_t chunk = HVB_MIN(len, HVB_PAGE_SIZE - in_page);
		uint8_t *page = sim_pfn_page(sim, g->pfns[off / HVB_PAGE_SIZE]);

		if (!page)
			return false;
		if (write)
			memcpy(page + in_page, p, chunk);
		else
			memcpy(p, page + in_page, chunk);
		p += chunk;
		off += chunk;
		len -= chunk;
	}
	return true;
}

/* --- completions to the guest ---------------------------------------------------- */

/* NVSP messages are padded to 32 bytes below 6.1, 40 from it (OpenVMM). */
static uint32_t nvsp_size(const struct sim_nv_chan *c)
{
	return c->version >= NVSP_VERSION_61 ? NVSP_MSG_SIZE : NVSP_MSG_SIZE_MIN;
}

static void comp(struct hvsim *sim, struct sim_offer *o, uint64_t tid, const void *payload,
		 uint32_t len)
{
	uint32_t padded = (len + 7) & ~7u;
	struct vmbus_pkt_desc d = {
		.type = VMBUS_PKT_COMP,
		.offset8 = sizeof(d) / 8,
		.len8 = (uint16_t)((sizeof(d) + padded) / 8),
		.trans_id = tid,
	};
	uint8_t pkt[sizeof(d) + NVSP_MSG_SIZE];

	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, &d, sizeof(d));
	if (len)
		memcpy(pkt + sizeof(d), payload, len);
	sim_chan_send(sim, o, pkt, (uint32_t)sizeof(d) + padded, false);
}

static void nvsp_comp(struct hvsim *sim, struct sim_offer *o, uint64_t tid,
		      const struct nvsp_msg *m)
{
	comp(sim, o, tid, m, nvsp_size(o->nv));
}

/* --- RNDIS from the guest -------------------------------------------------------- */

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* [8 + off, 8 + off + len) inside [first, end) (RNDIS offsets count from 8). */
static bool inside(uint32_t off, uint32_t len, uint64_t first, uint64_t end)
{
	uint64_t start = (uint64_t)RNDIS_HEADER_OFFSET + off;

	return start >= first && start + len <= end;
}

/* A data message (OpenVMM's checks: OOB fields and VcHandle 0, DataLength
 * not 0, the data inside the message). 1 taken, 0 malformed. */
static int rndis_data(struct hvsim *sim, struct sim_offer *o, const uint8_t *msg, uint32_t len)
{
	struct sim_netvsp *n = sim->netvsp;
	struct rndis_packet p;

	if (o->nv->rndis != NV_RNDIS_UP || len < sizeof(p))
		return 0;
	memcpy(&p, msg, sizeof(p));
	if (p.oob_offset || p.oob_len || p.oob_count || p.vc_handle || p.data_len == 0 ||
	    !inside(p.data_offset, p.data_len, sizeof(p), len) ||
	    (p.ppi_len && !inside(p.ppi_offset, p.ppi_len, sizeof(p), len)))
		return 0;
	if (p.data_len < 14 || p.data_len > NV_FRAME_MAX) {
		n->stats.dropped++; /* well-formed RNDIS, but no Ethernet frame */
		return 1;
	}
	n->stats.frames_from_guest++;
	nv_frame_from_guest(sim, msg + RNDIS_HEADER_OFFSET + p.data_offset, p.data_len);
	return 1;
}

static void query(struct hvsim *sim, struct sim_offer *o, const struct rndis_query *q)
{
	struct sim_netvsp *n = sim->netvsp;
	struct sim_nv_chan *c = o->nv;
	struct {
		struct rndis_query_c h;
		uint8_t info[8];
	} __attribute__((packed)) r;
	uint32_t v = 0, ilen = 4;

	memset(&r, 0, sizeof(r));
	r.h.status = RNDIS_STATUS_SUCCESS;
	switch (q->oid) {
	case OID_GEN_MAXIMUM_FRAME_SIZE: v = c->mtu - 14; break;
	case OID_GEN_MAXIMUM_TOTAL_SIZE: v = c->mtu; break;
	case OID_GEN_LINK_SPEED: v = LINK_SPEED; break;
	case OID_GEN_MEDIA_CONNECT_STATUS: v = 0; break; /* changes come as indications */
	case OID_GEN_CURRENT_PACKET_FILTER: v = c->filter; break;
	case OID_802_3_PERMANENT_ADDRESS:
	case OID_802_3_CURRENT_ADDRESS:
		memcpy(r.info, n->mac, 6);
		ilen = 6;
		break;
	default:
		r.h.status = RNDIS_STATUS_NOT_SUPPORTED;
		ilen = 0;
		break;
	}
	if (ilen == 4)
		memcpy(r.info, &v, 4);
	r.h.hdr.msg_type = RNDIS_MSG_QUERY_C;
	r.h.hdr.msg_len = (uint32_t)sizeof(r.h) + ilen;
	r.h.request_id = q->request_id;
	r.h.info_len = ilen;
	r.h.info_offset = sizeof(r.h) - RNDIS_HEADER_OFFSET; /* 16, also on failure (OpenVMM) */
	if (!(n->fired & NV_FIRED_QUERY)) {
		n->fired |= NV_FIRED_QUERY;
		if (sim->cfg.netvsp_faults & HVSIM_NETVSP_BAD_COMPLETION) {
			/* A buffer past the message, and past 4 GiB: a 32-bit
			 * sum would wrap back inside it. */
			r.h.info_offset = 0xFFFFFFF0u;
			r.h.info_len = 0x20;
		}
	}
	nv_ctl_send(sim, o, &r, r.h.hdr.msg_len);
}

static void set(struct hvsim *sim, struct sim_offer *o, const uint8_t *msg, uint32_t len)
{
	struct sim_netvsp *n = sim->netvsp;
	struct sim_nv_chan *c = o->nv;
	struct rndis_query q; /* SET has the QUERY layout */
	struct rndis_set_c r = { { RNDIS_MSG_SET_C, sizeof(r) }, 0, RNDIS_STATUS_SUCCESS };
	struct rndis_indicate down = { { RNDIS_MSG_INDICATE, sizeof(down) },
				       RNDIS_STATUS_MEDIA_DISCONNECT, 0, 0 };
	bool link_fault = false;

	memcpy(&q, msg, sizeof(q));
	r.request_id = q.request_id;
	if (q.oid != OID_GEN_CURRENT_PACKET_FILTER) {
		r.status = RNDIS_STATUS_NOT_SUPPORTED;
	} else if (q.info_len < 4 || !inside(q.info_offset, q.info_len, sizeof(q), len)) {
		r.status = RNDIS_STATUS_INVALID_DATA;
	} else {
		c->filter = get32(msg + RNDIS_HEADER_OFFSET + q.info_offset);
		n->stats.packet_filter = c->filter;
		if (c->filter && !c->filter_seen) {
			c->filter_seen = true;
			link_fault = sim->cfg.netvsp_faults & HVSIM_NETVSP_LINK_DOWN_UP;
		}
	}
	nv_ctl_send(sim, o, &r, sizeof(r));
	if (link_fault) {
		nv_ctl_send(sim, o, &down, sizeof(down));
		if (!sim_timer_add_at(sim, SIM_TIMER_NETVSP, o->relid, sim_now(sim) + LINK_UP_DELAY,
				      NULL, 0))
			sim_netvsp_timer(sim, o->relid); /* no timer slot: up at once */
	}
}

/* One RNDIS message: 1 handled, 0 malformed (status 2), -1 stopped. */
static int rndis_msg(struct hvsim *sim, struct sim_offer *o, const uint8_t *msg, uint32_t len)
{
	struct sim_netvsp *n = sim->netvsp;
	struct sim_nv_chan *c = o->nv;
	uint32_t type = get32(msg);
	struct rndis_init_c ic = {
		.hdr = { RNDIS_MSG_INIT_C, sizeof(ic) }, .status = RNDIS_STATUS_SUCCESS,
		.major = 1, .minor = 0, .device_flags = 1, .medium = 0, .max_packets_per_msg =
		NV_MSGS_PER_PACKET, .max_transfer_size = 0xEFFFFFFFu, .packet_alignment = 3,
	};
	struct rndis_keepalive_c kc = { { RNDIS_MSG_KEEPALIVE_C, sizeof(kc) }, 0, 0 };
	struct rndis_query q;

	if (type == RNDIS_MSG_PACKET)
		return rndis_data(sim, o, msg, len);
	n->stats.control_msgs++;
	if (len < 12)
		return 0; /* no request id */
	switch (type) {
	case RNDIS_MSG_INIT:
		if (c->rndis != NV_RNDIS_UNINIT)
			return nv_stop(sim, o, "a second RNDIS INITIALIZE"), -1;
		if (len < sizeof(struct rndis_init))
			return 0;
		ic.request_id = get32(msg + 8);
		c->rndis = NV_RNDIS_UP;
		n->stats.rndis_up = true;
		nv_ctl_send(sim, o, &ic, sizeof(ic));
		return 1;
	case RNDIS_MSG_QUERY:
	case RNDIS_MSG_SET:
		if (c->rndis == NV_RNDIS_UNINIT)
			return nv_stop(sim, o, "RNDIS %s before INITIALIZE",
				       type == RNDIS_MSG_SET ? "SET" : "QUERY"), -1;
		if (len < sizeof(q))
			return 0;
		memcpy(&q, msg, sizeof(q));
		if (type == RNDIS_MSG_QUERY)
			query(sim, o, &q);
		else
			set(sim, o, msg, len);
		return 1;
	case RNDIS_MSG_HALT: /* accepted silently */
		c->rndis = NV_RNDIS_HALTED;
		n->stats.rndis_up = false;
		return 1;
	case RNDIS_MSG_KEEPALIVE:
		kc.request_id = get32(msg + 8);
		nv_ctl_send(sim, o, &kc, sizeof(kc));
		return 1;
	case RNDIS_MSG_RESET:
	case RNDIS_MSG_INDICATE:
	case RNDIS_MSG_SET_EX:
		nv_stop(sim, o, "RNDIS message type %#x, which OpenVMM does not implement", type);
		return -1;
	default:
		nv_stop(sim, o, "RNDIS message type %#x", type);
		return -1;
	}
}

/* The RNDIS bytes of a SEND_RNDIS_PKT: the send section's, then the
 * GPA-direct ranges' (Linux's "cp_partial" uses both). 0, -EMSGSIZE (too
 * much: status 2), or -EFAULT (a violation, the channel stopped). */
static int gather(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt,
		  const struct nvsp_send_rndis_pkt *r, uint32_t *len)
{
	struct sim_netvsp *n = sim->netvsp;
	struct sim_nv_chan *c = o->nv;
	uint32_t count, pos = GPA_RANGES_AT;

	*len = 0;
	if (r->send_buf_section_index != NVSP_NO_SECTION) {
		uint32_t i = r->send_buf_section_index, size = r->send_buf_section_size;

		if (!c->got_send_buf || c->send_revoked)
			return nv_stop(sim, o, "send section %u, but no send buffer", i), -EFAULT;
		if (i >= c->send_size / NV_SECTION_SIZE || size == 0 || size > NV_SECTION_SIZE)
			return nv_stop(sim, o, "%u bytes in send section %u; the buffer has %llu "
				       "sections of %u bytes", size, i,
				       (unsigned long long)(c->send_size / NV_SECTION_SIZE),
				       NV_SECTION_SIZE), -EFAULT;
		if (!nv_gpadl_io(sim, c->send_gpadl, (uint64_t)i * NV_SECTION_SIZE, n->msg, size,
				 false))
			return nv_stop(sim, o, "the send buffer's GPADL %u is gone", c->send_gpadl),
			       -EFAULT;
		*len = size;
	}
	if (pkt->type != VMBUS_PKT_DATA_GPA_DIRECT) {
		if (r->send_buf_section_index == NVSP_NO_SECTION)
			return nv_stop(sim, o, "SEND_RNDIS_PKT without a send section or a GPA-direct "
				       "range"), -EFAULT;
		return 0;
	}
	if (pkt->offset < GPA_RANGES_AT)
		return nv_stop(sim, o, "a GPA-direct packet without its range header"), -EFAULT;
	memcpy(&count, pkt->data + offsetof(struct vmbus_gpa_direct_hdr, range_count), 4);
	for (uint32_t i = 0; i < count; i++) {
		struct vmbus_gpa_range g;
		uint32_t npfn, done = 0;

		if ((uint64_t)pos + sizeof(g) > pkt->offset)
			return nv_stop(sim, o, "%u GPA-direct ranges run past offset8", count), -EFAULT;
		memcpy(&g, pkt->data + pos, sizeof(g));
		npfn = (uint32_t)HVB_PAGES((uint64_t)g.byte_offset + g.byte_count);
		if (g.byte_count == 0 || g.byte_offset >= HVB_PAGE_SIZE ||
		    (uint64_t)pos + sizeof(g) + 8ull * npfn > pkt->offset)
			return nv_stop(sim, o, "GPA-direct range %u (%u bytes at %u) is malformed", i,
				       g.byte_count, g.byte_offset), -EFAULT;
		if ((uint64_t)*len + g.byte_count > NV_MSG_MAX)
			return -EMSGSIZE;
		for (uint32_t p = 0; p < npfn; p++) {
			uint32_t from = p ? 0 : g.byte_offset;
			uint32_t chunk = HVB_MIN(HVB_PAGE_SIZE - from, g.byte_count - done);
			uint64_t pfn;
			uint8_t *page;

			memcpy(&pfn, pkt->data + pos + sizeof(g) + 8 * p, 8);
			page = sim_pfn_page(sim, pfn);
			if (!page)
				return nv_stop(sim, o, "GPA-direct PFN 0x%llx is not guest memory",
					       (unsigned long long)pfn), -EFAULT;
			memcpy(n->msg + *len + done, page + from, chunk);
			done += chunk;
		}
		*len += g.byte_count;
		pos += (uint32_t)sizeof(g) + 8 * npfn;
	}
	return 0;
}

/* Walk the messages by MessageLength (facts 6.5). The NVSP status, or 0
 * when the channel stopped. */
static uint32_t rndis_packet(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt,
			     const struct nvsp_send_rndis_pkt *r)
{
	struct sim_netvsp *n = sim->netvsp;
	uint32_t len, off = 0, count = 0;
	int rc = gather(sim, o, pkt, r, &len);
	bool ok = rc == 0;

	if (rc == -EFAULT)
		return 0;
	while (ok && off < len) {
		uint32_t mlen = len - off >= 8 ? get32(n->msg + off + 4) : 0;

		if (mlen < 8 || mlen > len - off || ++count > NV_MSGS_PER_PACKET) {
			ok = false;
			break;
		}
		rc = rndis_msg(sim, o, n->msg + off, mlen);
		if (rc < 0)
			return 0;
		ok = rc == 1;
		off += mlen;
	}
	if (!ok)
		n->stats.tx_malformed++;
	return ok ? NVSP_STAT_SUCCESS : NVSP_STAT_FAIL;
}

/* --- NVSP from the guest ---------------------------------------------------------- */

static bool version_ok(struct hvsim *sim, uint32_t v)
{
	for (unsigned i = 0; i < ARRAY_SIZE(versions); i++)
		if (versions[i] == v)
			return v <= sim->netvsp->max_version;
	return false;
}

/* A buffer GPADL the guest names: created, this channel's. Its bytes or 0. */
static uint64_t buffer_bytes(struct hvsim *sim, struct sim_offer *o, uint32_t handle,
			     const char *what)
{
	struct sim_gpadl *g = sim_gpadl_find(sim, handle);

	if (!g || g->state != SIM_GPADL_READY || g->relid != o->relid) {
		sim_violation(sim, "relid %u: netvsc: %s names gpadl %u, which %s", o->relid, what,
			      handle, !g ? "does not exist" : g->relid != o->relid
					? "belongs to another channel" : "is not created yet");
		return 0;
	}
	return (uint64_t)g->npfns * HVB_PAGE_SIZE;
}

static bool nvsp_setup_msg(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt,
			   const struct nvsp_msg *m)
{
	struct sim_nv_chan *c = o->nv;
	bool want = pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	struct nvsp_msg r;

	if (c->state != NV_SETUP)
		return nv_stop(sim, o, "NVSP message %u %s", m->type, c->state == NV_INIT
			       ? "before INIT" : "after set-up ended (the first SEND_RNDIS_PKT)");
	memset(&r, 0, sizeof(r));
	switch (m->type) {
	case NVSP_MSG1_SEND_NDIS_VER:
		if (c->got_ndis_ver)
			return nv_stop(sim, o, "SEND_NDIS_VER twice");
		c->got_ndis_ver = true;
		break;
	case NVSP_MSG2_SEND_NDIS_CONFIG:
		if (c->version < NVSP_VERSION_2 || c->got_ndis_config || c->got_recv_buf)
			return nv_stop(sim, o, "SEND_NDIS_CONFIG %s", c->version < NVSP_VERSION_2
				       ? "at NVSP version 1" : c->got_ndis_config ? "twice"
				       : "after SEND_RECV_BUF (the sub-allocation size depends on it)");
		c->got_ndis_config = true;
		c->mtu = m->ndis_config.mtu;
		if (c->mtu < NV_MTU_MIN || c->mtu > NV_MTU_MAX)
			c->mtu = NV_MTU_MIN;
		break;
	case NVSP_MSG1_SEND_RECV_BUF: {
		uint64_t size;

		if (!want || c->got_recv_buf)
			return nv_stop(sim, o, "SEND_RECV_BUF %s", want ? "twice"
				       : "without COMPLETION_REQUESTED");
		if (c->version >= NVSP_VERSION_2 && !c->got_ndis_config)
			return nv_stop(sim, o, "SEND_RECV_BUF before SEND_NDIS_CONFIG");
		size = buffer_bytes(sim, o, m->recv_buf.gpadl_handle, "SEND_RECV_BUF");
		r.type = NVSP_MSG1_SEND_RECV_BUF_COMPLETE;
		r.recv_buf_complete.status = NVSP_STAT_FAIL;
		c->sub_size = NV_RX_DATA_AT + c->mtu + NV_RX_EXTRA;
		c->sub_count = (uint32_t)HVB_MIN(size / c->sub_size, UINT32_MAX);
		if (c->sub_count > NV_CTL_SUBALLOCS) {
			c->sub_busy = calloc(c->sub_count, 1);
			c->sub_next = calloc(c->sub_count, sizeof(*c->sub_next));
			c->free_data = calloc(c->sub_count - NV_CTL_SUBALLOCS, sizeof(*c->free_data));
			if (!c->sub_next || !c->free_data) {
				free(c->sub_busy);
				c->sub_busy = NULL;
			}
		}
		if (c->sub_busy) {
			c->got_recv_buf = true;
			c->recv_gpadl = m->recv_buf.gpadl_handle;
			c->recv_id = m->recv_buf.id;
			c->recv_size = size;
			/* All free, the lowest index on top. */
			c->data_free = c->sub_count - NV_CTL_SUBALLOCS;
			for (uint32_t i = 0; i < c->data_free; i++)
				c->free_data[i] = c->sub_count - 1 - i;
			sim->netvsp->td_recv_gpadl = c->recv_gpadl;
			r.recv_buf_complete.status = NVSP_STAT_SUCCESS;
			r.recv_buf_complete.num_sections = 1;
			r.recv_buf_complete.sections[0] = (struct nvsp_recv_buf_section){
				0, c->sub_size, c->sub_count, c->sub_size * c->sub_count };
		}
		nvsp_comp(sim, o, pkt->trans_id, &r);
		return true;
	}
	case NVSP_MSG1_SEND_SEND_BUF: {
		uint64_t size;

		if (!want || c->got_send_buf)
			return nv_stop(sim, o, "SEND_SEND_BUF %s", want ? "twice"
				       : "without COMPLETION_REQUESTED");
		size = buffer_bytes(sim, o, m->send_buf.gpadl_handle, "SEND_SEND_BUF");
		r.type = NVSP_MSG1_SEND_SEND_BUF_COMPLETE;
		r.send_buf_complete.status = NVSP_STAT_FAIL;
		if (size >= NV_SECTION_SIZE) {
			c->got_send_buf = true;
			c->send_gpadl = m->send_buf.gpadl_handle;
			c->send_id = m->send_buf.id;
			c->send_size = size;
			sim->netvsp->td_send_gpadl = c->send_gpadl;
			r.send_buf_complete.status = NVSP_STAT_SUCCESS;
			r.send_buf_complete.section_size = NV_SECTION_SIZE;
		}
		nvsp_comp(sim, o, pkt->trans_id, &r);
		return true;
	}
	}
	/* "The UEFI client expects a completion packet, which can be empty." */
	if (want)
		comp(sim, o, pkt->trans_id, NULL, 0);
	return true;
}

static bool nvsp_init(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt,
		      const struct nvsp_msg *m)
{
	struct sim_nv_chan *c = o->nv;
	uint32_t v = m->init.min_protocol_ver; /* the only field the host reads */
	struct nvsp_msg r;

	if (!(pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED))
		return nv_stop(sim, o, "INIT without COMPLETION_REQUESTED");
	if (c->state != NV_INIT)
		return nv_stop(sim, o, "INIT after version %#x was accepted", c->version);
	memset(&r, 0, sizeof(r));
	r.type = NVSP_MSG_INIT_COMPLETE;
	r.init_complete.negotiated_protocol_ver = 0xFFFFFFFFu;
	if (version_ok(sim, v)) {
		c->version = v;
		c->state = NV_SETUP;
		sim->netvsp->stats.nvsp_version = v;
		r.init_complete.negotiated_protocol_ver = v == NVSP_VERSION_1 ? 2 : 0xFFFFFFFFu;
		r.init_complete.max_mdl_chain_len = NV_MAX_MDL;
		r.init_complete.status = NVSP_STAT_SUCCESS;
	}
	nvsp_comp(sim, o, pkt->trans_id, &r); /* status 0 (NONE): refused, as OpenVMM */
	return true;
}

static bool nvsp_rndis(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt,
		       const struct nvsp_msg *m)
{
	struct sim_nv_chan *c = o->nv;
	struct nvsp_msg r;
	uint32_t st;

	if (!(pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED))
		return nv_stop(sim, o, "SEND_RNDIS_PKT without COMPLETION_REQUESTED");
	if (c->state == NV_SETUP) {
		/* The first one ends set-up (facts 6.4, F2). */
		if (!c->got_ndis_ver || !c->got_recv_buf ||
		    (c->version >= NVSP_VERSION_2 && !c->got_ndis_config))
			return nv_stop(sim, o, "SEND_RNDIS_PKT before %s",
				       !c->got_ndis_ver ? "SEND_NDIS_VER" : !c->got_recv_buf
				       ? "SEND_RECV_BUF" : "SEND_NDIS_CONFIG");
		c->state = NV_READY;
	} else if (c->state != NV_READY) {
		return nv_stop(sim, o, "SEND_RNDIS_PKT before INIT");
	}
	st = rndis_packet(sim, o, pkt, &m->rndis_pkt);
	if (!st)
		return false;
	memset(&r, 0, sizeof(r));
	r.type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
	r.rndis_pkt_complete.status = st;
	nvsp_comp(sim, o, pkt->trans_id, &r);
	return true;
}

static bool nvsp_revoke(struct hvsim *sim, struct sim_offer *o, const struct nvsp_msg *m)
{
	struct sim_nv_chan *c = o->nv;
	bool recv = m->type == NVSP_MSG1_REVOKE_RECV_BUF;

	if (recv ? !c->got_recv_buf || c->recv_revoked || m->revoke.id != c->recv_id
		 : !c->got_send_buf || c->send_revoked || m->revoke.id != c->send_id)
		return nv_stop(sim, o, "REVOKE_%s_BUF for id %#x, which is not registered",
			       recv ? "RECV" : "SEND", m->revoke.id);
	if (recv)
		c->recv_revoked = true;
	else
		c->send_revoked = true;
	c->state = NV_REVOKED; /* OpenVMM stops all processing */
	nv_teardown_note(sim, recv ? "revoke-recv" : "revoke-send");
	return true;
}

bool sim_netvsp_packet(struct hvsim *sim, struct sim_offer *o, const struct ring_pkt *pkt)
{
	struct sim_nv_chan *c = o->nv;
	uint32_t plen = pkt->len - pkt->offset;
	uint32_t words[3] = { 0, 0, 0 };
	struct nvsp_msg m;

	if (pkt->type == VMBUS_PKT_COMP)
		return c->state == NV_REVOKED || nv_guest_completion(sim, o, pkt);
	if (plen < NVSP_MSG_SIZE_MIN)
		return nv_stop(sim, o, "a %u-byte NVSP message; hosts ignore anything under 32 bytes",
			       plen);
	memset(&m, 0, sizeof(m));
	memcpy(&m, pkt->data + pkt->offset, HVB_MIN(plen, (uint32_t)sizeof(m)));
	if (c->state == NV_REVOKED && m.type != NVSP_MSG1_REVOKE_RECV_BUF &&
	    m.type != NVSP_MSG1_REVOKE_SEND_BUF)
		return true;
	if (pkt->type == VMBUS_PKT_DATA_GPA_DIRECT && m.type != NVSP_MSG1_SEND_RNDIS_PKT)
		return nv_stop(sim, o, "NVSP message %u in a GPA-direct packet", m.type);
	switch (m.type) {
	case NVSP_MSG_INIT:
		return nvsp_init(sim, o, pkt, &m);
	case NVSP_MSG1_SEND_NDIS_VER:
	case NVSP_MSG2_SEND_NDIS_CONFIG:
	case NVSP_MSG1_SEND_RECV_BUF:
	case NVSP_MSG1_SEND_SEND_BUF:
		return nvsp_setup_msg(sim, o, pkt, &m);
	case NVSP_MSG1_SEND_RNDIS_PKT:
		return nvsp_rndis(sim, o, pkt, &m);
	case NVSP_MSG1_REVOKE_RECV_BUF:
	case NVSP_MSG1_REVOKE_SEND_BUF:
		return nvsp_revoke(sim, o, &m);
	case NVSP_MSG5_OID_QUERY_EX:
	case NVSP_MSG5_SUBCHANNEL:
	case NVSP_MSG4_SWITCH_DATA_PATH:
		/* No OID_QUERY_EX, no sub-channels, no VF (facts 6.4). */
		if (!(pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED))
			return true;
		words[0] = m.type == NVSP_MSG5_OID_QUERY_EX ? NVSP_MSG5_OID_QUERY_EX_COMPLETE : m.type;
		words[1] = m.type == NVSP_MSG5_OID_QUERY_EX ? RNDIS_STATUS_NOT_SUPPORTED : NVSP_STAT_FAIL;
		comp(sim, o, pkt->trans_id, words, m.type == NVSP_MSG4_SWITCH_DATA_PATH ? 0 : 12);
		return true;
	default:
		return nv_stop(sim, o, "unexpected NVSP message type %u", m.type);
	}
}

/* --- life cycle ------------------------------------------------------------------- */

int sim_netvsp_open(struct hvsim *sim, struct sim_offer *o)
{
	struct sim_nv_chan *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->mtu = NV_MTU_MIN;
	o->nv = c; /* a new channel starts from INIT again */
	sim->netvsp->td_relid = o->relid;
	sim->netvsp->td_recv_gpadl = sim->netvsp->td_send_gpadl = 0;
	sim->netvsp->stats.teardown[0] = '\0';
	return 0;
}

void sim_netvsp_close(struct hvsim *sim, struct sim_offer *o)
{
	struct sim_netvsp *n = sim->netvsp;

	if (!o->nv)
		return;
	sim_timer_cancel(sim, SIM_TIMER_NETVSP, o->relid);
	if (o->relid == n->td_relid)
		nv_teardown_note(sim, "close");
	if (o->relid == n->net_relid) {
		n->stats.dropped += n->nrxq; /* nobody to give them to */
		n->nrxq = 0;
		n->stats.rndis_up = false;
	}
	free(o->nv->sub_busy);
	free(o->nv->sub_next);
	free(o->nv->free_data);
	free(o->nv);
	o->nv = NULL;
}

void sim_netvsp_timer(struct hvsim *sim, uint32_t relid)
{
	struct rndis_indicate up = { { RNDIS_MSG_INDICATE, sizeof(up) }, RNDIS_STATUS_MEDIA_CONNECT,
				     0, 0 };
	struct sim_offer *o = sim_offer_by_relid(sim, relid);

	if (!o || !o->nv || o->stopped)
		return;
	nv_ctl_send(sim, o, &up, sizeof(up));
	o->kicked = true; /* the service pass sends it */
}

/* Before the host frees a GPADL: a buffer the host still uses must have
 * been revoked first (facts 6.9). Noted for the teardown-order record. */
void sim_netvsp_gpadl_teardown(struct hvsim *sim, uint32_t relid, uint32_t handle)
{
	struct sim_netvsp *n = sim->netvsp;
	struct sim_offer *o = sim_offer_by_relid(sim, relid);
	struct sim_nv_chan *c = o ? o->nv : NULL;
	bool recv;

	if (!n || relid != n->td_relid || !handle ||
	    (handle != n->td_recv_gpadl && handle != n->td_send_gpadl))
		return;
	recv = handle == n->td_recv_gpadl;
	/* What the guest wrote into the ring before this message (REVOKE)
	 * counts first, as on a host that processes the channel in order. */
	if (o)
		sim_chan_drain(sim, o);
	nv_teardown_note(sim, recv ? "gpadl-recv" : "gpadl-send");
	if (c && (recv ? c->got_recv_buf && !c->recv_revoked : c->got_send_buf && !c->send_revoked))
		sim_violation(sim, "relid %u: netvsc: GPADL_TEARDOWN of the %s buffer (gpadl %u) "
			      "before REVOKE_%s_BUF; the host may still use it", relid,
			      recv ? "receive" : "send", handle, recv ? "RECV" : "SEND");
}
