/* netvsc: bring-up, control exchanges and teardown (facts 6.4, 6.8, 6.9).
 * Receives data from the host: NVSP answers arrive as completions matched
 * by transaction id (channel.c) and are copied, zero-filled, before any
 * field is read (netvsc_ctl.c); RNDIS completions come through
 * netvsc_rx.c, which has checked their lengths, and are matched by request
 * id. The data path (sending, receiving, the link) is in netvsc_io.c. */
#include "netvsc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"
#include "../vmbus/vmbus_internal.h" /* vmbus_gpadl_forget: a rescinded channel's buffers */
#include "netvsc_int.h"

static const uint32_t versions[] = { NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5,
				     NVSP_VERSION_4,  NVSP_VERSION_2, NVSP_VERSION_1 };

const char *netvsc_nvsp_version_name(uint32_t v)
{
	switch (v) {
	case NVSP_VERSION_1: return "1";
	case NVSP_VERSION_2: return "2";
	case NVSP_VERSION_4: return "4";
	case NVSP_VERSION_5: return "5";
	case NVSP_VERSION_6: return "6";
	case NVSP_VERSION_61: return "6.1";
	default: return "?";
	}
}

static struct hv_seam *seam_of(struct netvsc *nv) { return nv->vb->hv->seam; }

static void bringup_done(struct netvsc *nv, int status)
{
	struct vmbus_op *op = nv->op;

	nv->stage = status ? NETVSC_FAILED : NETVSC_READY;
	nv->op = NULL;
	vmbus_op_finish(op, status);
}

static void fail(struct netvsc *nv, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct netvsc *nv, int status, const char *fmt, ...)
{
	char why[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_err("%s: %s", nv->name, why);
	bringup_done(nv, status);
}

/* A QUERY_CMPLT (already checked by netvsc_rx.c: the buffer lies inside):
 * its status, and the buffer when the status is success. */
static uint32_t query_result(struct netvsc *nv, const uint8_t **info, uint32_t *len)
{
	struct rndis_query_c q;

	memcpy(&q, nv->ctl.reply, sizeof(q));
	*len = 0;
	*info = NULL;
	if (q.status != RNDIS_STATUS_SUCCESS)
		return q.status;
	/* The reply we kept is at most NETVSC_CTL_REPLY_MAX bytes. */
	if ((uint64_t)RNDIS_HEADER_OFFSET + q.info_offset + q.info_len > NETVSC_CTL_REPLY_MAX)
		return RNDIS_STATUS_INVALID_DATA;
	*info = nv->ctl.reply + RNDIS_HEADER_OFFSET + q.info_offset;
	*len = q.info_len;
	return q.status;
}

static void filter_done(struct netvsc *nv, int status)
{
	struct rndis_set_c s;

	memcpy(&s, nv->ctl.reply, sizeof(s));
	if (status || s.status != RNDIS_STATUS_SUCCESS) {
		fail(nv, status ? status : -EIO, "setting the packet filter failed (%d, RNDIS status "
		     "%#x)", status, status ? 0 : s.status);
		return;
	}
	nv->link.up = nv->link_up;
	nv->link.mtu = (uint16_t)nv->mtu;
	memcpy(nv->link.mac, nv->mac, 6);
	log_info("%s: MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u, link %s, NVSP %s, NDIS %u.%u, "
		 "%u send sections of %u bytes, %u receive sub-allocations of %u bytes", nv->name,
		 nv->mac[0], nv->mac[1], nv->mac[2], nv->mac[3], nv->mac[4], nv->mac[5], nv->mtu,
		 nv->link_up ? "up" : "down", netvsc_nvsp_version_name(nv->nvsp_version),
		 nv->ndis_version >> 16, nv->ndis_version & 0xffff, nv->sections, nv->section_size,
		 nv->sub_allocs, nv->sub_alloc_size);
	bringup_done(nv, 0);
}

static void link_done(struct netvsc *nv, int status)
{
	const uint8_t *info;
	uint32_t len, v, st = status ? 0 : query_result(nv, &info, &len);

	if (status || st != RNDIS_STATUS_SUCCESS || len < 4) {
		log_warn("%s: the media connect status query failed (%d, RNDIS status %#x); "
			 "assuming the link is up", nv->name, status, st);
		nv->link_up = true;
	} else {
		memcpy(&v, info, 4);
		nv->link_up = v == 0; /* 0 connected; anything else down, as Linux */
	}
	nv->stage = NETVSC_SET_FILTER;
	status = netvsc_set_filter(nv, NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST |
				    NDIS_PACKET_TYPE_ALL_MULTICAST, filter_done);
	if (status)
		fail(nv, status, "cannot send the packet filter (%d)", status);
}

static void mac_done(struct netvsc *nv, int status)
{
	const uint8_t *info;
	uint32_t len, st = status ? 0 : query_result(nv, &info, &len);

	if (status || st != RNDIS_STATUS_SUCCESS || len != 6) {
		fail(nv, status ? status : -EIO, "the host did not give a MAC address (%d, RNDIS "
		     "status %#x, %u bytes)", status, st, status ? 0 : len);
		return;
	}
	memcpy(nv->mac, info, 6);
	nv->stage = NETVSC_QUERY_LINK;
	status = netvsc_query(nv, OID_GEN_MEDIA_CONNECT_STATUS, link_done);
	if (status)
		fail(nv, status, "cannot send the media status query (%d)", status);
}

static void mtu_done(struct netvsc *nv, int status)
{
	const uint8_t *info;
	uint32_t len, v = 0, st = status ? 0 : query_result(nv, &info, &len);

	if (!status && st == RNDIS_STATUS_SUCCESS && len >= 4)
		memcpy(&v, info, 4);
	/* The host may lower the MTU, never raise it (our frames are 1514). */
	if (v >= 576 && v <= NETVSC_MTU)
		nv->mtu = v;
	else
		log_warn("%s: the maximum frame size query gave no usable answer (%d, RNDIS status "
			 "%#x, value %u); the MTU stays %u", nv->name, status, st, v, nv->mtu);
	nv->stage = NETVSC_QUERY_MAC;
	status = netvsc_query(nv, OID_802_3_PERMANENT_ADDRESS, mac_done);
	if (status)
		fail(nv, status, "cannot send the MAC address query (%d)", status);
}

static void rndis_init_done(struct netvsc *nv, int status)
{
	struct rndis_init_c r;

	memcpy(&r, nv->ctl.reply, sizeof(r));
	if (status || r.status != RNDIS_STATUS_SUCCESS) {
		fail(nv, status ? status : -EIO, "RNDIS INITIALIZE failed (%d, RNDIS status %#x)",
		     status, status ? 0 : r.status);
		return;
	}
	nv->rndis_up = true;
	nv->max_pkts_per_msg = r.max_packets_per_msg;
	nv->pkt_alignment = r.packet_alignment < 32 ? 1u << r.packet_alignment : 0;
	nv->stage = NETVSC_QUERY_MTU;
	status = netvsc_query(nv, OID_GEN_MAXIMUM_FRAME_SIZE, mtu_done);
	if (status)
		fail(nv, status, "cannot send the maximum frame size query (%d)", status);
}

static void rndis_start(struct netvsc *nv)
{
	struct rndis_init m = {
		.hdr = { RNDIS_MSG_INIT, sizeof(m) },
		.major = 1,
		.minor = 0,
		.max_transfer_size = NETVSC_RNDIS_MAX_TRANSFER,
	};
	int rc;

	nv->stage = NETVSC_RNDIS_INIT;
	rc = netvsc_rndis_request(nv, &m, sizeof(m), RNDIS_MSG_INIT_C, rndis_init_done);
	if (rc)
		fail(nv, rc, "cannot send RNDIS INITIALIZE (%d)", rc);
}

/* --- NVSP buffers ---------------------------------------------------------------- */

static void send_buf_done(struct netvsc *nv, int status)
{
	struct nvsp_msg r;

	memcpy(&r, nv->ctl.reply, sizeof(r));
	if (status) {
		fail(nv, status, "SEND_SEND_BUF got no answer (%d)", status);
		return;
	}
	if (nv->ctl.reply_len < 12 || r.type != NVSP_MSG1_SEND_SEND_BUF_COMPLETE ||
	    r.send_buf_complete.status != NVSP_STAT_SUCCESS) {
		fail(nv, -EIO, "the host refused the send buffer (%u-byte answer, type %u, status %u)",
		     nv->ctl.reply_len, r.type, r.send_buf_complete.status);
		return;
	}
	if (r.send_buf_complete.section_size == 0 ||
	    r.send_buf_complete.section_size > nv->send_bytes) {
		fail(nv, -EPROTO, "the host's send section size %u does not fit the %u-byte send "
		     "buffer", r.send_buf_complete.section_size, nv->send_bytes);
		return;
	}
	nv->section_size = r.send_buf_complete.section_size;
	nv->sections = HVB_MIN(nv->send_bytes / nv->section_size, NETVSC_MAX_SECTIONS);
	rndis_start(nv);
}

static void send_gpadl_done(struct vmbus_op *op)
{
	struct netvsc *nv = op->ctx;
	struct nvsp_msg m;
	int rc;

	if (op->status) {
		nv->send_held = op->status == -ETIMEDOUT; /* the host may create it yet */
		fail(nv, op->status, "the send buffer's GPADL failed (%d)", op->status);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_SEND_BUF;
	m.send_buf.gpadl_handle = nv->send_gpadl.handle;
	m.send_buf.id = NVSP_SEND_BUF_ID;
	rc = netvsc_nvsp_request(nv, &m, send_buf_done);
	if (rc) {
		fail(nv, rc, "cannot send SEND_SEND_BUF (%d)", rc);
		return;
	}
	nv->send_sent = true;
}

static int buffer_start(struct netvsc *nv, uint32_t bytes, uint8_t **buf, uint64_t *gpa,
			struct vmbus_gpadl *g, void (*done)(struct vmbus_op *op))
{
	struct hv_seam *s = seam_of(nv);

	*buf = s->alloc(s, bytes / HVB_PAGE_SIZE, gpa);
	if (!*buf)
		return -ENOMEM;
	nv->gpadl_op.done = done;
	nv->gpadl_op.ctx = nv;
	return vmbus_gpadl_create_start(nv->vb, g, nv->ch.relid, *gpa, bytes / HVB_PAGE_SIZE,
					&nv->gpadl_op);
}

static uint32_t buffer_bytes(uint32_t want, uint32_t max)
{
	want = HVB_MIN(HVB_MAX(want, NETVSC_BUF_MIN), max);
	return want & ~(HVB_PAGE_SIZE - 1);
}

static void send_buf_start(struct netvsc *nv)
{
	int rc;

	nv->stage = NETVSC_SEND_BUF;
	nv->send_bytes = buffer_bytes(nv->params.send_buf_bytes, NETVSC_SEND_BUF_MAX);
	rc = buffer_start(nv, nv->send_bytes, &nv->send_buf, &nv->send_gpa, &nv->send_gpadl,
			  send_gpadl_done);
	if (rc)
		fail(nv, rc, "cannot set up a %u KiB send buffer (%d)", nv->send_bytes >> 10, rc);
}

static void recv_buf_done(struct netvsc *nv, int status)
{
	struct hv_seam *s = seam_of(nv);
	struct nvsp_msg r;
	const struct nvsp_recv_buf_section *sec = &r.recv_buf_complete.sections[0];

	memcpy(&r, nv->ctl.reply, sizeof(r));
	if (status) {
		fail(nv, status, "SEND_RECV_BUF got no answer (%d)", status);
		return;
	}
	if (nv->ctl.reply_len < 28 || r.type != NVSP_MSG1_SEND_RECV_BUF_COMPLETE ||
	    r.recv_buf_complete.status != NVSP_STAT_SUCCESS) {
		fail(nv, -EIO, "the host refused the receive buffer (%u-byte answer, type %u, "
		     "status %u)", nv->ctl.reply_len, r.type, r.recv_buf_complete.status);
		return;
	}
	if (r.recv_buf_complete.num_sections != 1 || sec->offset != 0 || sec->sub_alloc_size == 0 ||
	    sec->num_sub_allocs == 0 ||
	    (uint64_t)sec->sub_alloc_size * sec->num_sub_allocs > nv->recv_bytes) {
		fail(nv, -EPROTO, "the host's receive buffer layout (%u sections, offset %u, %u "
		     "sub-allocations of %u bytes) does not fit the %u-byte buffer",
		     r.recv_buf_complete.num_sections, sec->offset, sec->num_sub_allocs,
		     sec->sub_alloc_size, nv->recv_bytes);
		return;
	}
	nv->sub_alloc_size = sec->sub_alloc_size;
	nv->sub_allocs = sec->num_sub_allocs;
	nv->rx_copy_pages = (uint32_t)HVB_PAGES(nv->sub_alloc_size);
	nv->rx_copy = s->alloc(s, nv->rx_copy_pages, &(uint64_t){ 0 });
	if (!nv->rx_copy) {
		fail(nv, -ENOMEM, "out of memory for a %u-byte receive copy", nv->sub_alloc_size);
		return;
	}
	nv->rx.buf = nv->recv_buf;
	nv->rx.size = nv->recv_bytes;
	nv->rx.sub_alloc_size = nv->sub_alloc_size;
	nv->rx.pageset_id = NVSP_RECV_BUF_ID;
	nv->rx.copy = nv->rx_copy;
	send_buf_start(nv);
}

static void recv_gpadl_done(struct vmbus_op *op)
{
	struct netvsc *nv = op->ctx;
	struct nvsp_msg m;
	int rc;

	if (op->status) {
		nv->recv_held = op->status == -ETIMEDOUT;
		fail(nv, op->status, "the receive buffer's GPADL failed (%d)", op->status);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RECV_BUF;
	m.recv_buf.gpadl_handle = nv->recv_gpadl.handle;
	m.recv_buf.id = NVSP_RECV_BUF_ID;
	rc = netvsc_nvsp_request(nv, &m, recv_buf_done);
	if (rc) {
		fail(nv, rc, "cannot send SEND_RECV_BUF (%d)", rc);
		return;
	}
	nv->recv_sent = true;
}

/* --- NVSP version and NDIS ------------------------------------------------------ */

static void init_done(struct netvsc *nv, int status);

static int send_init(struct netvsc *nv)
{
	struct nvsp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG_INIT;
	m.init.min_protocol_ver = m.init.max_protocol_ver = versions[nv->version_index];
	return netvsc_nvsp_request(nv, &m, init_done);
}

static int send_ndis(struct netvsc *nv)
{
	struct nvsp_msg m;
	int rc = 0;

	if (nv->nvsp_version >= NVSP_VERSION_2) {
		memset(&m, 0, sizeof(m));
		m.type = NVSP_MSG2_SEND_NDIS_CONFIG;
		m.ndis_config.mtu = ETH_FRAME_MAX; /* MTU + 14 */
		rc = netvsc_nvsp_post(nv, &m);
	}
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_NDIS_VER;
	m.ndis_ver.ndis_major = nv->ndis_version >> 16;
	m.ndis_ver.ndis_minor = nv->ndis_version & 0xffff;
	return rc ? rc : netvsc_nvsp_post(nv, &m);
}

static void init_done(struct netvsc *nv, int status)
{
	struct nvsp_msg r;
	int rc;

	memcpy(&r, nv->ctl.reply, sizeof(r));
	if (status) {
		fail(nv, status, "NVSP INIT (version %s) got no answer (%d)",
		     netvsc_nvsp_version_name(versions[nv->version_index]), status);
		return;
	}
	/* Anything but a well-formed SUCCESS is a refusal (OpenVMM: status 0). */
	if (nv->ctl.reply_len < 16 || r.type != NVSP_MSG_INIT_COMPLETE ||
	    r.init_complete.status != NVSP_STAT_SUCCESS) {
		log_info("%s: NVSP version %s refused (%u-byte answer, type %u, status %u)", nv->name,
			 netvsc_nvsp_version_name(versions[nv->version_index]), nv->ctl.reply_len,
			 r.type, r.init_complete.status);
		if (++nv->version_index == ARRAY_SIZE(versions)) {
			fail(nv, -EPROTONOSUPPORT, "the host accepts none of the NVSP versions 6.1, 6, "
			     "5, 4, 2, 1");
			return;
		}
		rc = send_init(nv);
		if (rc)
			fail(nv, rc, "cannot send NVSP INIT (%d)", rc);
		return;
	}
	nv->nvsp_version = versions[nv->version_index];
	nv->ndis_version = nv->nvsp_version <= NVSP_VERSION_4 ? NDIS_VERSION_6_1 : NDIS_VERSION_6_30;
	rc = send_ndis(nv);
	if (rc) {
		fail(nv, rc, "cannot send the NDIS configuration and version (%d)", rc);
		return;
	}
	nv->stage = NETVSC_RECV_BUF;
	nv->recv_bytes = buffer_bytes(nv->params.recv_buf_bytes,
				      nv->nvsp_version <= NVSP_VERSION_2 ? NETVSC_RECV_BUF_MAX_V2
									 : NETVSC_RECV_BUF_MAX);
	rc = buffer_start(nv, nv->recv_bytes, &nv->recv_buf, &nv->recv_gpa, &nv->recv_gpadl,
			  recv_gpadl_done);
	if (rc)
		fail(nv, rc, "cannot set up a %u KiB receive buffer (%d)", nv->recv_bytes >> 10, rc);
}

static void on_open(struct vmbus_op *op)
{
	struct netvsc *nv = op->ctx;
	int rc;

	if (op->status) {
		fail(nv, op->status, "the NIC channel did not open (%d)", op->status);
		return;
	}
	nv->stage = NETVSC_INIT;
	while (nv->version_index + 1 < ARRAY_SIZE(versions) &&
	       versions[nv->version_index] > nv->params.max_version)
		nv->version_index++;
	rc = send_init(nv);
	if (rc)
		fail(nv, rc, "cannot send NVSP INIT (%d)", rc);
}

/* --- attach ------------------------------------------------------------------------ */

int netvsc_start(struct netvsc *nv, struct vmbus *vb, struct vmbus_offer *offer,
		 const struct netvsc_params *params, struct vmbus_op *op)
{
	struct vmbus_channel_params cp = { 0 };
	struct hv_seam *s = vb->hv->seam;
	int rc;

	memset(nv, 0, sizeof(*nv));
	nv->vb = vb;
	if (params)
		nv->params = *params;
	if (!nv->params.ring_bytes)
		nv->params.ring_bytes = NETVSC_RING_BYTES;
	nv->params.ring_bytes = HVB_MAX(nv->params.ring_bytes, NETVSC_RING_BYTES_MIN) &
				~(HVB_PAGE_SIZE - 1);
	if (!nv->params.recv_buf_bytes)
		nv->params.recv_buf_bytes = NETVSC_RECV_BUF_BYTES;
	if (!nv->params.send_buf_bytes)
		nv->params.send_buf_bytes = NETVSC_SEND_BUF_BYTES;
	if (!nv->params.max_version)
		nv->params.max_version = NVSP_VERSION_61;
	snprintf(nv->name, sizeof(nv->name), "netvsc relid %u", offer->relid);
	nv->mtu = NETVSC_MTU;
	nv->ctl.section = NVSP_NO_SECTION;
	netvsc_io_init(nv);
	snprintf(nv->link.name, sizeof(nv->link.name), "netvsc%u", offer->relid);
	nv->ctl_page = s->alloc(s, 1, &nv->ctl_gpa);
	if (!nv->ctl_page)
		return -ENOMEM;
	cp.out_bytes = cp.in_bytes = nv->params.ring_bytes;
	cp.max_requests = NETVSC_MAX_SECTIONS + 2; /* every section, + control */
	cp.on_packet = netvsc_on_packet;
	cp.ctx = nv;
	vmbus_op_start(op);
	nv->op = op;
	nv->open_op.done = on_open;
	nv->open_op.ctx = nv;
	nv->stage = NETVSC_OPENING;
	rc = vmbus_channel_open_start(vb, &nv->ch, offer, &cp, &nv->open_op);
	if (rc) {
		s->free(s, nv->ctl_page, 1);
		nv->ctl_page = NULL;
		nv->op = NULL;
		nv->stage = NETVSC_IDLE;
		op->status = rc;
	}
	return rc;
}

int netvsc_attach(struct netvsc *nv, struct vmbus *vb, struct vmbus_offer *offer,
		  const struct netvsc_params *params)
{
	struct vmbus_op op = { 0 };
	int rc = netvsc_start(nv, vb, offer, params, &op);

	if (rc)
		return rc;
	rc = vmbus_wait_op(vb, &op);
	if (rc)
		netvsc_detach(nv);
	return rc;
}

/* --- detach (facts 6.9) ---------------------------------------------------------- */

static void ctl_ignore(struct netvsc *nv, int status)
{
	(void)nv;
	(void)status;
}

/* Run the loop until cond() says stop or the deadline passes. */
static void run_until(struct netvsc *nv, bool (*done)(struct netvsc *nv), uint64_t timeout)
{
	uint64_t deadline = hv_time(nv->vb->hv) + timeout;

	while (!done(nv) && hv_time(nv->vb->hv) < deadline)
		if (!netvsc_poll(nv))
			hv_idle(seam_of(nv));
}

static bool ctl_idle(struct netvsc *nv) { return !nv->ctl.busy; }

static bool drained(struct netvsc *nv)
{
	return nv->ch.state != CHANNEL_OPEN || (!nv->sections_busy && !nv->npending);
}

static void rndis_down(struct netvsc *nv)
{
	struct rndis_halt h = { .hdr = { RNDIS_MSG_HALT, sizeof(h) } };
	int rc;

	/* No frames after this (Linux sets 0 on close). */
	rc = netvsc_set_filter(nv, 0, ctl_ignore);
	if (rc == 0)
		run_until(nv, ctl_idle, 2 * NETVSC_CTL_TIMEOUT);
	if (rc || nv->ctl.status)
		log_warn("%s: setting the packet filter to 0 failed (%d)", nv->name,
			 rc ? rc : nv->ctl.status);
	rc = netvsc_rndis_request(nv, &h, sizeof(h), 0, ctl_ignore);
	if (rc == 0)
		run_until(nv, ctl_idle, 2 * NETVSC_CTL_TIMEOUT);
	if (rc || nv->ctl.status)
		log_warn("%s: RNDIS HALT failed (%d)", nv->name, rc ? rc : nv->ctl.status);
	nv->rndis_up = false;
}

static void revoke(struct netvsc *nv, uint32_t type, uint16_t id)
{
	struct nvsp_msg m;
	int rc;

	if (nv->ch.state != CHANNEL_OPEN)
		return;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.revoke.id = id;
	rc = netvsc_nvsp_post(nv, &m);
	if (rc)
		log_warn("%s: cannot send REVOKE_%s_BUF (%d)", nv->name,
			 type == NVSP_MSG1_REVOKE_RECV_BUF ? "RECV" : "SEND", rc);
}

/* Take a buffer's GPADL back (a rescinded channel's the host has dropped)
 * and free the memory unless the host may still hold it. */
static int buffer_release(struct netvsc *nv, struct vmbus_gpadl *g, uint8_t **buf,
			  uint32_t bytes, bool *held)
{
	struct hv_seam *s = seam_of(nv);
	int rc = 0;

	if (g->state == GPADL_READY && nv->ch.state == CHANNEL_RESCINDED)
		vmbus_gpadl_forget(nv->vb, g);
	else if (g->state == GPADL_READY)
		rc = vmbus_gpadl_teardown(nv->vb, g);
	if (rc) {
		log_err("%s: a buffer GPADL teardown failed (%d); its memory stays reserved", nv->name,
			rc);
		*held = true;
	}
	if (*buf && !*held)
		s->free(s, *buf, bytes / HVB_PAGE_SIZE);
	*buf = NULL;
	return rc;
}

int netvsc_detach(struct netvsc *nv)
{
	struct hv_seam *s = seam_of(nv);
	/* Hosts before WS2016 want the buffers back before the close. */
	bool early = nv->vb->version < VMBUS_VERSION_WIN10;
	int rc = 0, r, closed;

	if (nv->stage == NETVSC_IDLE)
		return 0;
	while (nv->op) /* a bring-up still running: every step has a deadline */
		if (!vmbus_loop_once(nv->vb))
			hv_idle(s);
	nv->stage = NETVSC_CLOSING;
	run_until(nv, ctl_idle, 2 * NETVSC_CTL_TIMEOUT);
	if (nv->rndis_up && nv->ch.state == CHANNEL_OPEN)
		rndis_down(nv);
	run_until(nv, drained, NETVSC_DRAIN_TIMEOUT);
	if (nv->sections_busy || nv->npending)
		log_warn("%s: %u send(s) and %u receive completion(s) still outstanding at teardown",
			 nv->name, nv->sections_busy, nv->npending);
	nv->revoked = true;
	if (nv->recv_sent)
		revoke(nv, NVSP_MSG1_REVOKE_RECV_BUF, NVSP_RECV_BUF_ID);
	if (early)
		rc = buffer_release(nv, &nv->recv_gpadl, &nv->recv_buf, nv->recv_bytes, &nv->recv_held);
	if (nv->send_sent)
		revoke(nv, NVSP_MSG1_REVOKE_SEND_BUF, NVSP_SEND_BUF_ID);
	if (early) {
		r = buffer_release(nv, &nv->send_gpadl, &nv->send_buf, nv->send_bytes, &nv->send_held);
		rc = rc ? rc : r;
	}
	closed = vmbus_channel_close(&nv->ch);
	rc = rc ? rc : closed;
	if (!early) {
		r = buffer_release(nv, &nv->recv_gpadl, &nv->recv_buf, nv->recv_bytes, &nv->recv_held);
		rc = rc ? rc : r;
		r = buffer_release(nv, &nv->send_gpadl, &nv->send_buf, nv->send_bytes, &nv->send_held);
		rc = rc ? rc : r;
	}
	if (nv->ctl.timer.armed)
		vmbus_timer_cancel(nv->vb, &nv->ctl.timer);
	/* Private memory; the control page only once the channel is closed. */
	if (nv->rx_copy)
		s->free(s, nv->rx_copy, nv->rx_copy_pages);
	if (nv->ctl_page && closed == 0)
		s->free(s, nv->ctl_page, 1);
	nv->rx_copy = NULL;
	nv->ctl_page = NULL;
	nv->rx.copy = NULL;
	nv->recv_sent = nv->send_sent = false;
	nv->link.up = false;
	nv->stage = NETVSC_IDLE;
	return rc;
}
