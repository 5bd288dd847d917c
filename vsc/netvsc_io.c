/* netvsc's data path (facts 6.5, 6.6): frames out through send sections,
 * transfer-page packets in (validated by netvsc_rx.c) and their
 * completions, host notifications, and the net_link on top. Receives data
 * from the host: every packet is a private copy from the ring (ring.c),
 * completions are matched by transaction id (channel.c) and their NVSP
 * payload is length-checked here before use. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "netvsc_int.h"

enum { SECTION_FREE, SECTION_BUSY, SECTION_LOST };

#define EMPTY_COMPLETION UINT32_MAX /* pending[]: an empty COMP, not an NVSP 108 */

/* --- send sections ----------------------------------------------------------- */

uint32_t netvsc_section_get(struct netvsc *nv, uint32_t len)
{
	if (len > nv->section_size)
		return NVSP_NO_SECTION;
	for (uint32_t n = 0; n < nv->sections; n++) {
		uint32_t i = (nv->next_section + n) % nv->sections;

		if (nv->section_state[i] == SECTION_FREE) {
			nv->section_state[i] = SECTION_BUSY;
			nv->sections_busy++;
			nv->next_section = (i + 1) % nv->sections;
			return i;
		}
	}
	return NVSP_NO_SECTION;
}

void netvsc_section_put(struct netvsc *nv, uint32_t i, int status)
{
	if (i >= nv->sections || nv->section_state[i] != SECTION_BUSY)
		return;
	nv->sections_busy--;
	if (status == -ETIMEDOUT) {
		nv->section_state[i] = SECTION_LOST;
		nv->stats.tx_lost++;
		log_err("%s: send section %u was never completed by the host; it is not reused",
			nv->name, i);
		return;
	}
	nv->section_state[i] = SECTION_FREE;
}

bool netvsc_rndis_pkt_complete_ok(const struct ring_pkt *pkt, uint32_t *status)
{
	uint32_t plen = pkt->len - pkt->offset, m[2] = { 0, 0 };

	memcpy(m, pkt->data + pkt->offset, HVB_MIN(plen, (uint32_t)sizeof(m)));
	*status = m[1];
	return plen >= sizeof(m) && m[0] == NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE &&
	       m[1] == NVSP_STAT_SUCCESS;
}

/* --- sending frames ---------------------------------------------------------- */

static void tx_done(struct vmbus_channel *ch, struct vmbus_request *req, int status,
		    const struct ring_pkt *pkt)
{
	struct netvsc *nv = ch->params.ctx;
	uint32_t section = (uint32_t)(uintptr_t)req->ctx - 1, st;

	if (status == 0 && !netvsc_rndis_pkt_complete_ok(pkt, &st)) {
		if (nv->stats.tx_failed++ < 4)
			log_warn("%s: the host failed a frame (NVSP completion of %u bytes, status %u)",
				 nv->name, pkt->len - pkt->offset, st);
	}
	netvsc_section_put(nv, section, status);
}

int netvsc_send(struct netvsc *nv, const void *frame, size_t len)
{
	const uint8_t *f = frame;
	size_t max = ETH_FRAME_MAX;
	struct rndis_packet p;
	struct nvsp_msg m;
	uint32_t section;
	uint64_t tid;
	uint8_t *dst;
	int rc;

	if (nv->stage != NETVSC_READY)
		return -EIO;
	if (len < NETVSC_FRAME_MIN)
		return -EINVAL;
	if (f[12] == 0x81 && f[13] == 0x00) /* an 802.1Q tag */
		max += 4;
	if (len > max || sizeof(p) + len > nv->section_size)
		return -EMSGSIZE;
	section = netvsc_section_get(nv, (uint32_t)(sizeof(p) + len));
	if (section == NVSP_NO_SECTION)
		return -EAGAIN;
	tid = vmbus_request_start(&nv->ch, tx_done, (void *)(uintptr_t)(section + 1),
				  NETVSC_SEND_TIMEOUT);
	if (!tid) {
		netvsc_section_put(nv, section, 0);
		return nv->ch.state == CHANNEL_OPEN ? -EAGAIN : -EIO;
	}
	/* One RNDIS PACKET per section, the frame right after its header. */
	memset(&p, 0, sizeof(p));
	p.hdr.msg_type = RNDIS_MSG_PACKET;
	p.hdr.msg_len = (uint32_t)(sizeof(p) + len);
	p.data_offset = sizeof(p) - RNDIS_HEADER_OFFSET;
	p.data_len = (uint32_t)len;
	dst = nv->send_buf + (size_t)section * nv->section_size;
	memcpy(dst, &p, sizeof(p));
	memcpy(dst + sizeof(p), frame, len);
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.rndis_pkt.channel_type = NVSP_RNDIS_CHANNEL_DATA;
	m.rndis_pkt.send_buf_section_index = section;
	m.rndis_pkt.send_buf_section_size = p.hdr.msg_len;
	rc = vmbus_send_inband(&nv->ch, &m, NVSP_MSG_SIZE, tid);
	if (rc) {
		vmbus_request_cancel(&nv->ch, tid);
		netvsc_section_put(nv, section, 0);
		return rc == -EAGAIN ? -EAGAIN : -EIO;
	}
	nv->stats.frames_out++;
	nv->stats.bytes_out += len;
	return 0;
}

/* --- receive completions -------------------------------------------------------- */

static int send_completion(struct netvsc *nv, uint64_t tid, uint32_t status)
{
	uint32_t m[2] = { NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE, status };

	return vmbus_send_completion(&nv->ch, tid, m, status == EMPTY_COMPLETION ? 0 : sizeof(m));
}

static void flush_pending(struct netvsc *nv);

/* Until the host has the completion it does not reuse the buffer areas:
 * one that finds the ring full waits here and goes with the next poll, or
 * before the next completion (bring-up waits do not run netvsc_poll). */
static void complete(struct netvsc *nv, uint64_t tid, uint32_t status)
{
	unsigned tail;

	flush_pending(nv);
	if (!nv->npending) {
		int rc = send_completion(nv, tid, status);

		if (rc != -EAGAIN)
			return; /* sent, or the channel is gone */
	}
	if (nv->npending == NETVSC_PENDING_COMPLETIONS) {
		if (nv->stats.completions_dropped++ == 0)
			log_err("%s: more than %u receive completions wait for ring space; dropping "
				"some (the host keeps those buffer areas)", nv->name,
				NETVSC_PENDING_COMPLETIONS);
		return;
	}
	tail = (nv->pending_head + nv->npending++) % NETVSC_PENDING_COMPLETIONS;
	nv->pending[tail].tid = tid;
	nv->pending[tail].status = status;
}

static void flush_pending(struct netvsc *nv)
{
	while (nv->npending) {
		int rc = nv->ch.state == CHANNEL_OPEN
				 ? send_completion(nv, nv->pending[nv->pending_head].tid,
						   nv->pending[nv->pending_head].status)
				 : -EPIPE;

		if (rc == -EAGAIN)
			return;
		if (rc == -EPIPE || rc == -ENODEV) {
			nv->npending = 0; /* nobody to tell any more */
			return;
		}
		nv->pending_head = (nv->pending_head + 1) % NETVSC_PENDING_COMPLETIONS;
		nv->npending--;
	}
}

/* --- receiving --------------------------------------------------------------------- */

static void rx_frame(void *ctx, const uint8_t *frame, uint32_t len)
{
	struct netvsc *nv = ctx;

	nv->stats.frames_in++;
	nv->stats.bytes_in += len;
	if (nv->link.receive)
		nv->link.receive(&nv->link, frame, len);
}

static void rx_completion(void *ctx, uint32_t type, uint32_t rid, int err, const uint8_t *msg,
			  uint32_t len)
{
	netvsc_rndis_completion(ctx, type, rid, err, msg, len);
}

static void rx_status(void *ctx, uint32_t status)
{
	struct netvsc *nv = ctx;
	bool up;

	if (status == RNDIS_STATUS_MEDIA_CONNECT)
		up = true;
	else if (status == RNDIS_STATUS_MEDIA_DISCONNECT)
		up = false;
	else {
		log_debug("%s: ignored RNDIS status indication %#x", nv->name, status);
		return;
	}
	if (up == nv->link_up)
		return;
	nv->link_up = up;
	if (nv->stage == NETVSC_READY)
		nv->link.up = up;
	nv->stats.link_changes++;
	log_info("%s: link %s", nv->name, up ? "up" : "down");
}

/* Inband packets from the host: notifications (VF association, indirection
 * table, data path switch). We use neither VF nor sub-channels. */
static void on_inband(struct netvsc *nv, const struct ring_pkt *pkt)
{
	uint32_t plen = pkt->len - pkt->offset, type = 0;

	if (plen >= 4)
		memcpy(&type, pkt->data + pkt->offset, 4);
	switch (type) {
	case NVSP_MSG4_SEND_VF_ASSOCIATION:
	case NVSP_MSG5_SEND_INDIRECTION_TABLE:
	case NVSP_MSG4_SWITCH_DATA_PATH:
		log_debug("%s: ignored NVSP notification %u (no VF, no sub-channels)", nv->name, type);
		break;
	default:
		log_warn("%s: ignored an inband packet from the host (NVSP type %u, %u bytes)",
			 nv->name, type, plen);
		break;
	}
	/* Every packet that asks for a completion gets one: NVSP-shaped where
	 * the protocol defines it (OpenVMM rejects empty ones there). */
	if (pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED)
		complete(nv, pkt->trans_id,
			 type == NVSP_MSG1_SEND_RNDIS_PKT ? NVSP_STAT_FAIL : EMPTY_COMPLETION);
}

void netvsc_on_packet(struct vmbus_channel *ch, const struct ring_pkt *pkt)
{
	struct netvsc *nv = ch->params.ctx;
	uint32_t status;

	switch (pkt->type) {
	case VMBUS_PKT_DATA_XFER_PAGES:
		if (!nv->rx.copy || nv->revoked) {
			if (nv->stats.rx_failed_packets == 0)
				log_warn("%s: a transfer-page packet while no receive buffer is "
					 "registered: rejected", nv->name);
			status = NVSP_STAT_FAIL;
		} else {
			status = netvsc_rx_packet(&nv->rx, pkt);
		}
		if (status != NVSP_STAT_SUCCESS)
			nv->stats.rx_failed_packets++;
		/* One completion for the whole packet frees its ranges. */
		if (pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED)
			complete(nv, pkt->trans_id, status);
		return;
	case VMBUS_PKT_DATA_INBAND:
		on_inband(nv, pkt);
		return;
	default:
		log_warn("%s: ignored an unsolicited completion (%u bytes)", nv->name,
			 pkt->len - pkt->offset);
		return;
	}
}

int netvsc_poll(struct netvsc *nv)
{
	bool batch = nv->ch.state == CHANNEL_OPEN;
	int n;

	/* Our completions of one pass reach the host together. */
	if (batch)
		vmbus_channel_batch_begin(&nv->ch);
	flush_pending(nv);
	n = vmbus_loop_once(nv->vb);
	flush_pending(nv);
	/* A rescind during the pass freed the rings. */
	if (batch && nv->ch.state != CHANNEL_RESCINDED)
		vmbus_channel_batch_end(&nv->ch);
	return n;
}

/* --- the link ------------------------------------------------------------------------ */

static int link_send(struct net_link *l, const void *frame, size_t len)
{
	return netvsc_send(l->ctx, frame, len);
}

static int link_poll(struct net_link *l)
{
	return netvsc_poll(l->ctx);
}

static void link_idle(struct net_link *l)
{
	struct netvsc *nv = l->ctx;

	hv_idle(nv->vb->hv->seam);
}

struct net_link *netvsc_link(struct netvsc *nv)
{
	return &nv->link;
}

void netvsc_io_init(struct netvsc *nv)
{
	nv->rx.ops = (struct netvsc_rx_ops){
		.frame = rx_frame, .completion = rx_completion, .status = rx_status, .ctx = nv,
	};
	nv->rx.name = nv->name;
	nv->link.mtu = NETVSC_MTU;
	nv->link.send = link_send;
	nv->link.poll = link_poll;
	nv->link.idle = link_idle;
	nv->link.ctx = nv;
}

void netvsc_inventory(const struct netvsc *nv, void (*out)(const char *line, void *ctx),
		      void *ctx)
{
	uint64_t rejected = 0;
	char line[400];

	for (unsigned i = 0; i < NETVSC_RX_FAULT_KINDS; i++)
		if (i != NETVSC_RX_UNKNOWN_TYPE)
			rejected += nv->rx.faults[i];
	snprintf(line, sizeof(line),
		 "%s  %02x:%02x:%02x:%02x:%02x:%02x  MTU %u  link %s  NVSP %s  NDIS %u.%u  "
		 "%u send sections of %u bytes, %u receive sub-allocations of %u bytes  "
		 "in %llu frames / %llu bytes  out %llu frames / %llu bytes  rejected %llu",
		 nv->link.name, nv->mac[0], nv->mac[1], nv->mac[2], nv->mac[3], nv->mac[4],
		 nv->mac[5], nv->mtu, nv->link_up ? "up" : "down",
		 netvsc_nvsp_version_name(nv->nvsp_version), nv->ndis_version >> 16,
		 nv->ndis_version & 0xffff, nv->sections, nv->section_size, nv->sub_allocs,
		 nv->sub_alloc_size, (unsigned long long)nv->stats.frames_in,
		 (unsigned long long)nv->stats.bytes_in, (unsigned long long)nv->stats.frames_out,
		 (unsigned long long)nv->stats.bytes_out, (unsigned long long)rejected);
	out(line, ctx);
}
