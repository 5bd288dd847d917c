/* hvsim's network VSP, driven through the guest channel layer with
 * hand-built NVSP and RNDIS messages: the version rule, the buffer layout,
 * OpenVMM's RNDIS answers and where they land in the receive buffer, frames
 * held while the filter is 0, malformed frames completed with status 2,
 * the 16 control sub-allocations, and the guest mistakes that are
 * violations (set-up order, empty completions, buffers torn down before
 * their REVOKE). */
#include <errno.h>
#include <string.h>

#include "../lib/util.h"
#include "../sim/netdev.h"
#include "../vmbus/channel.h"
#include "../vmbus/devclass.h"
#include "../vsc/netvsc_proto.h"
#include "fixture.h"

#define REQ_TIMEOUT (HV_TICKS_PER_SEC / 2)
#define RECV_PAGES 64u  /* 256 KiB: 145 sub-allocations of 1806 bytes */
#define SEND_PAGES 8u   /* 32 KiB: 5 sections of 6144 */
#define SUB 1806u
#define MAX_MSGS 64u

enum completion_mode { COMPLETE_NVSP, COMPLETE_EMPTY, COMPLETE_NONE };

/* One RNDIS message the host put in the receive buffer: a range of a
 * transfer-page packet (range_no of range_count). */
struct got {
	uint64_t tid;
	uint32_t channel_type, offset, count;
	uint32_t range_no, range_count;
	uint8_t msg[2048];
};

struct raw {
	struct fx f;
	struct vmbus_channel ch;
	uint8_t *recv, *send;
	uint64_t recv_gpa, send_gpa;
	struct vmbus_gpadl recv_g, send_g;
	enum completion_mode mode;
	/* the last completion of a request */
	bool done;
	int status;
	uint32_t len;
	uint8_t comp[64];
	/* transfer-page packets received */
	struct got got[MAX_MSGS];
	unsigned ngot;
	uint64_t held[MAX_MSGS];        /* COMPLETE_NONE: trans_ids not completed */
	unsigned nheld;
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void complete(struct raw *r, uint64_t tid, enum completion_mode mode)
{
	uint32_t m[2] = { NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS };

	if (mode == COMPLETE_NONE) {
		CHECK(r->nheld < MAX_MSGS);
		r->held[r->nheld++] = tid;
		return;
	}
	CHECK_EQ(vmbus_send_completion(&r->ch, tid, m, mode == COMPLETE_EMPTY ? 0 : 8), 0);
}

static void on_packet(struct vmbus_channel *ch, const struct ring_pkt *pkt)
{
	struct raw *r = ch->params.ctx;
	struct vmbus_xfer_page_hdr h;
	uint32_t nvsp[2];

	CHECK_EQ(pkt->type, VMBUS_PKT_DATA_XFER_PAGES);
	CHECK(pkt->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	memcpy(&h, pkt->data, sizeof(h));
	CHECK_EQ(h.xfer_pageset_id, NVSP_RECV_BUF_ID);
	CHECK(h.range_count >= 1);
	CHECK_EQ(pkt->offset, sizeof(h) + 8 * h.range_count);
	memcpy(nvsp, pkt->data + pkt->offset, 8);
	CHECK_EQ(nvsp[0], NVSP_MSG1_SEND_RNDIS_PKT);
	for (uint32_t i = 0; i < h.range_count; i++) {
		struct got *g = &r->got[r->ngot];
		const uint8_t *range = pkt->data + sizeof(h) + 8 * i;

		CHECK(r->ngot < MAX_MSGS);
		g->tid = pkt->trans_id;
		g->channel_type = nvsp[1];
		g->range_no = i;
		g->range_count = h.range_count;
		g->count = get32(range);
		g->offset = get32(range + 4);
		CHECK((uint64_t)g->offset + g->count <= RECV_PAGES * 4096ull);
		memcpy(g->msg, r->recv + g->offset, HVB_MIN(g->count, 2048u));
		r->ngot++;
	}
	/* One completion for the whole packet. */
	complete(r, pkt->trans_id, r->mode);
}

static void on_done(struct vmbus_channel *ch, struct vmbus_request *req, int status,
		    const struct ring_pkt *pkt)
{
	struct raw *r = req->ctx;

	(void)ch;
	r->status = status;
	r->len = pkt ? pkt->len - pkt->offset : 0;
	memset(r->comp, 0, sizeof(r->comp));
	if (pkt)
		memcpy(r->comp, pkt->data + pkt->offset, HVB_MIN(r->len, (uint32_t)sizeof(r->comp)));
	r->done = true;
}

static void run_until(struct raw *r, const bool *flag, uint64_t ticks)
{
	uint64_t end = hv_time(&r->f.hv) + ticks;

	while (!*flag && hv_time(&r->f.hv) < end)
		if (!vmbus_loop_once(&r->f.vb))
			hv_idle(r->f.seam);
}

static void run_for(struct raw *r, uint64_t ticks)
{
	static const bool never;

	run_until(r, &never, ticks);
}

/* Until at least n transfer-page packets came. */
static void wait_got(struct raw *r, unsigned n)
{
	uint64_t end = hv_time(&r->f.hv) + REQ_TIMEOUT;

	while (r->ngot < n && hv_time(&r->f.hv) < end)
		if (!vmbus_loop_once(&r->f.vb))
			hv_idle(r->f.seam);
	CHECK(r->ngot >= n);
}

/* An NVSP message (40 bytes); with a completion requested, wait for it
 * and return its payload. */
static const uint8_t *nvsp(struct raw *r, const struct nvsp_msg *m, bool want)
{
	uint64_t tid = want ? vmbus_request_start(&r->ch, on_done, r, REQ_TIMEOUT) : 0;

	CHECK(!want || tid);
	r->done = false;
	CHECK_EQ(vmbus_send_inband(&r->ch, m, NVSP_MSG_SIZE, tid), 0);
	if (!want)
		return NULL;
	run_until(r, &r->done, 2 * REQ_TIMEOUT);
	CHECK(r->done);
	CHECK_EQ(r->status, 0);
	return r->comp;
}

static struct nvsp_msg msg(uint32_t type)
{
	struct nvsp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	return m;
}

static void config(struct raw *r, const char *net)
{
	memset(r, 0, sizeof(*r));
	fx_config(&r->f);
	r->f.cfg.devices = "netvsc";
	r->f.cfg.net = net;
}

static void start(struct raw *r)
{
	struct vmbus_channel_params p = {
		.out_bytes = 65536, .in_bytes = 65536, .on_packet = on_packet, .ctx = r,
	};
	struct vmbus_offer *o = NULL;

	fx_start(&r->f);
	fx_connect(&r->f);
	for (unsigned i = 0; i < r->f.vb.noffers && !o; i++)
		if (vmbus_devclass_by_guid(&r->f.vb.offers[i].type) == vmbus_devclass_by_key("netvsc"))
			o = &r->f.vb.offers[i];
	CHECK(o != NULL);
	CHECK_EQ(vmbus_channel_open(&r->f.vb, &r->ch, o, &p), 0);
	r->recv = r->f.seam->alloc(r->f.seam, RECV_PAGES, &r->recv_gpa);
	r->send = r->f.seam->alloc(r->f.seam, SEND_PAGES, &r->send_gpa);
	CHECK(r->recv && r->send);
	CHECK_EQ(vmbus_gpadl_create(&r->f.vb, &r->recv_g, r->ch.relid, r->recv_gpa, RECV_PAGES), 0);
	CHECK_EQ(vmbus_gpadl_create(&r->f.vb, &r->send_g, r->ch.relid, r->send_gpa, SEND_PAGES), 0);
}

static uint32_t init(struct raw *r, uint32_t version)
{
	struct nvsp_msg m = msg(NVSP_MSG_INIT);
	const struct nvsp_msg *c;

	m.init.min_protocol_ver = m.init.max_protocol_ver = version;
	c = (const void *)nvsp(r, &m, true);
	CHECK_EQ(c->type, NVSP_MSG_INIT_COMPLETE);
	return c->init_complete.status;
}

/* INIT, NDIS config and version, both buffers. */
static void setup(struct raw *r, uint32_t version, uint32_t mtu)
{
	struct nvsp_msg m;
	const struct nvsp_msg *c;

	CHECK_EQ(init(r, version), NVSP_STAT_SUCCESS);
	if (version >= NVSP_VERSION_2) {
		m = msg(NVSP_MSG2_SEND_NDIS_CONFIG);
		m.ndis_config.mtu = mtu;
		nvsp(r, &m, false);
	}
	m = msg(NVSP_MSG1_SEND_NDIS_VER);
	m.ndis_ver.ndis_major = 6;
	m.ndis_ver.ndis_minor = 30;
	nvsp(r, &m, false);
	m = msg(NVSP_MSG1_SEND_RECV_BUF);
	m.recv_buf.gpadl_handle = r->recv_g.handle;
	m.recv_buf.id = NVSP_RECV_BUF_ID;
	c = (const void *)nvsp(r, &m, true);
	CHECK_EQ(c->type, NVSP_MSG1_SEND_RECV_BUF_COMPLETE);
	CHECK_EQ(c->recv_buf_complete.status, NVSP_STAT_SUCCESS);
	m = msg(NVSP_MSG1_SEND_SEND_BUF);
	m.send_buf.gpadl_handle = r->send_g.handle;
	c = (const void *)nvsp(r, &m, true);
	CHECK_EQ(c->type, NVSP_MSG1_SEND_SEND_BUF_COMPLETE);
	CHECK_EQ(c->send_buf_complete.section_size, 6144);
}

/* RNDIS bytes in send section `section` (or GPA direct when it is
 * NVSP_NO_SECTION); the NVSP 108 status that came back. */
static uint32_t rndis(struct raw *r, uint32_t channel, uint32_t section, const void *bytes,
		      uint32_t len)
{
	struct nvsp_msg m = msg(NVSP_MSG1_SEND_RNDIS_PKT);
	uint64_t tid = vmbus_request_start(&r->ch, on_done, r, REQ_TIMEOUT);
	const struct nvsp_msg *c = (const void *)r->comp;

	CHECK(tid);
	m.rndis_pkt.channel_type = channel;
	m.rndis_pkt.send_buf_section_index = section;
	r->done = false;
	if (section == NVSP_NO_SECTION) {
		struct vmbus_gpa_buf b = { r->send_gpa + 4096 * (SEND_PAGES - 1), len };

		memcpy(r->send + 4096 * (SEND_PAGES - 1), bytes, len);
		CHECK_EQ(vmbus_send_gpa_direct(&r->ch, &b, 1, &m, NVSP_MSG_SIZE, tid), 0);
	} else {
		memcpy(r->send + section * 6144, bytes, len);
		m.rndis_pkt.send_buf_section_size = len;
		CHECK_EQ(vmbus_send_inband(&r->ch, &m, NVSP_MSG_SIZE, tid), 0);
	}
	run_until(r, &r->done, 2 * REQ_TIMEOUT);
	CHECK(r->done);
	CHECK_EQ(r->status, 0);
	CHECK_EQ(c->type, NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE);
	return c->rndis_pkt_complete.status;
}

static const uint8_t *rndis_init(struct raw *r)
{
	struct rndis_init m = { { RNDIS_MSG_INIT, sizeof(m) }, 1, 1, 0, 0x4000 };
	unsigned before = r->ngot;

	CHECK_EQ(rndis(r, NVSP_RNDIS_CHANNEL_CONTROL, 0, &m, sizeof(m)), NVSP_STAT_SUCCESS);
	wait_got(r, before + 1);
	return r->got[before].msg;
}

static void set_filter(struct raw *r, uint32_t filter)
{
	struct {
		struct rndis_query q;
		uint32_t v;
	} __attribute__((packed)) s = { { { RNDIS_MSG_SET, sizeof(s) }, 9,
					  OID_GEN_CURRENT_PACKET_FILTER, 4, 20, 0 }, filter };
	unsigned before = r->ngot;

	CHECK_EQ(rndis(r, NVSP_RNDIS_CHANNEL_CONTROL, 0, &s, sizeof(s)), NVSP_STAT_SUCCESS);
	wait_got(r, before + 1);
	CHECK_EQ(get32(r->got[before].msg), RNDIS_MSG_SET_C);
	CHECK_EQ(get32(r->got[before].msg + 12), RNDIS_STATUS_SUCCESS);
}

/* An RNDIS PACKET with the frame right after its header; fields patched by the caller. */
static uint32_t packet(uint8_t *out, const uint8_t *frame, uint32_t len)
{
	struct rndis_packet p;

	memset(&p, 0, sizeof(p));
	p.hdr.msg_type = RNDIS_MSG_PACKET;
	p.hdr.msg_len = (uint32_t)sizeof(p) + len;
	p.data_offset = 36;
	p.data_len = len;

	memcpy(out, &p, sizeof(p));
	memcpy(out + sizeof(p), frame, len);
	return (uint32_t)sizeof(p) + len;
}

static void finish(struct raw *r)
{
	CHECK_EQ(vmbus_shutdown(&r->f.vb), 0);
	hv_teardown(&r->f.hv);
	fx_no_violations(&r->f);
	fx_destroy(&r->f);
}

static void finish_violated(struct raw *r, const char *needle)
{
	unsigned n = hvsim_violation_count(r->f.sim);

	CHECK(n >= 1);
	CHECK_MSG(strstr(hvsim_violation(r->f.sim, 0), needle), "violation '%s' lacks '%s'",
		  hvsim_violation(r->f.sim, 0), needle);
	CHECK_EQ(vmbus_shutdown(&r->f.vb), 0);
	hv_teardown(&r->f.hv);
	fx_destroy(&r->f);
}

/* --- tests ---------------------------------------------------------------------- */

TEST(sim_netvsp_versions_exactly)
{
	static struct raw r;
	static const uint32_t refused[] = { 0, 1, 3, 0x30000, 0x50001, 0x60002, 0x70000 };
	const struct nvsp_msg *c = (const void *)r.comp;
	struct hvsim_netvsp_stats st;

	config(&r, NULL);
	r.f.cfg.netvsp_max_version = NVSP_VERSION_5;
	start(&r);
	for (unsigned i = 0; i < ARRAY_SIZE(refused); i++)
		CHECK_EQ(init(&r, refused[i]), NVSP_STAT_NONE);
	CHECK_EQ(r.len, 32); /* NVSP messages are 32 bytes below 6.1 */
	CHECK_EQ(init(&r, NVSP_VERSION_6), NVSP_STAT_NONE); /* above the configured newest */
	CHECK_EQ(init(&r, NVSP_VERSION_5), NVSP_STAT_SUCCESS);
	CHECK_EQ(c->init_complete.negotiated_protocol_ver, 0xFFFFFFFFu);
	CHECK_EQ(c->init_complete.max_mdl_chain_len, 34);
	CHECK_EQ(hvsim_netvsp_stats(r.f.sim, &st), 0);
	CHECK_EQ(st.nvsp_version, NVSP_VERSION_5);
	finish(&r);
}

TEST(sim_netvsp_buffer_layout_and_mtu_clamp)
{
	static const uint32_t mtu[] = { 1514, 100, 9216, 9217, 4000 };

	for (unsigned i = 0; i < ARRAY_SIZE(mtu); i++) {
		static struct raw r;
		uint32_t frame = mtu[i] < 1514 || mtu[i] > 9216 ? 1514 : mtu[i];
		const struct nvsp_msg *c = (const void *)r.comp;
		struct nvsp_msg m;

		config(&r, NULL);
		start(&r);
		CHECK_EQ(init(&r, NVSP_VERSION_61), NVSP_STAT_SUCCESS);
		CHECK_EQ(r.len, 40);
		m = msg(NVSP_MSG2_SEND_NDIS_CONFIG);
		m.ndis_config.mtu = mtu[i];
		nvsp(&r, &m, false);
		m = msg(NVSP_MSG1_SEND_RECV_BUF);
		m.recv_buf.gpadl_handle = r.recv_g.handle;
		m.recv_buf.id = NVSP_RECV_BUF_ID;
		nvsp(&r, &m, true);
		CHECK_EQ(c->recv_buf_complete.status, NVSP_STAT_SUCCESS);
		CHECK_EQ(c->recv_buf_complete.num_sections, 1);
		CHECK_EQ(c->recv_buf_complete.sections[0].offset, 0);
		CHECK_EQ(c->recv_buf_complete.sections[0].sub_alloc_size, 256 + frame + 36);
		CHECK_EQ(c->recv_buf_complete.sections[0].num_sub_allocs,
			 RECV_PAGES * 4096 / (256 + frame + 36));
		finish(&r);
	}
}

TEST(sim_netvsp_rndis_answers_as_openvmm)
{
	static struct raw r;
	struct rndis_init_c ic;
	struct rndis_query q = { { RNDIS_MSG_QUERY, sizeof(q) }, 5, 0x00020216, 0, 20, 0 };
	struct rndis_halt k = { { RNDIS_MSG_KEEPALIVE, sizeof(k) }, 6 };
	struct hvsim_netvsp_stats st;
	const struct got *g;

	config(&r, NULL);
	start(&r);
	setup(&r, NVSP_VERSION_61, 1514);
	memcpy(&ic, rndis_init(&r), sizeof(ic));
	g = &r.got[0];
	CHECK_EQ(g->channel_type, NVSP_RNDIS_CHANNEL_CONTROL);
	CHECK(g->tid < 16);
	CHECK_EQ(g->offset, g->tid * SUB); /* in its control sub-allocation */
	CHECK_EQ(g->count, 52);            /* byte_count = MessageLength */
	CHECK_EQ(ic.hdr.msg_type, RNDIS_MSG_INIT_C);
	CHECK_EQ(ic.hdr.msg_len, 52);
	CHECK_EQ(ic.request_id, 1);
	CHECK_EQ(ic.status, 0);
	CHECK_EQ(ic.device_flags, 1);
	CHECK_EQ(ic.max_packets_per_msg, 8);
	CHECK_EQ(ic.max_transfer_size, 0xEFFFFFFFu);
	CHECK_EQ(ic.packet_alignment, 3);
	/* An OID it does not know (FRIENDLY_NAME): NOT_SUPPORTED, buffer at 16. */
	CHECK_EQ(rndis(&r, 1, 0, &q, sizeof(q)), NVSP_STAT_SUCCESS);
	wait_got(&r, 2);
	CHECK_EQ(get32(r.got[1].msg), RNDIS_MSG_QUERY_C);
	CHECK_EQ(get32(r.got[1].msg + 8), 5);
	CHECK_EQ(get32(r.got[1].msg + 12), RNDIS_STATUS_NOT_SUPPORTED);
	CHECK_EQ(get32(r.got[1].msg + 16), 0);
	CHECK_EQ(get32(r.got[1].msg + 20), 16);
	/* KEEPALIVE answered; GPA direct works as well as a section. */
	CHECK_EQ(rndis(&r, 1, NVSP_NO_SECTION, &k, sizeof(k)), NVSP_STAT_SUCCESS);
	wait_got(&r, 3);
	CHECK_EQ(get32(r.got[2].msg), RNDIS_MSG_KEEPALIVE_C);
	CHECK_EQ(get32(r.got[2].msg + 8), 6);
	CHECK_EQ(hvsim_netvsp_stats(r.f.sim, &st), 0);
	CHECK_EQ(st.control_msgs, 3);
	CHECK(st.rndis_up);
	finish(&r);
}

/* No frames while the filter is 0; then OpenVMM's data layout. */
TEST(sim_netvsp_frames_held_until_filter)
{
	static struct raw r;
	static const uint8_t loop_mac[6] = SIM_LOOP_MAC;
	uint8_t arp[60] = { 0 }, buf[200];
	struct rndis_packet p;
	const struct got *g;

	config(&r, "loop");
	start(&r);
	setup(&r, NVSP_VERSION_6, 1514);
	rndis_init(&r);
	memset(arp, 0xff, 6);
	memcpy(arp + 6, "\x00\x15\x5d\x00\x00\x01", 6);
	memcpy(arp + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01", 10);
	memcpy(arp + 38, "\x0a\x00\x02\x02", 4);
	CHECK_EQ(rndis(&r, 0, 1, buf, packet(buf, arp, sizeof(arp))), NVSP_STAT_SUCCESS);
	run_for(&r, HV_TICKS_PER_SEC / 20);
	CHECK_EQ(r.ngot, 1); /* the INITIALIZE_CMPLT only */
	set_filter(&r, NDIS_PACKET_TYPE_DIRECTED); /* SET_CMPLT first, then the frame */
	wait_got(&r, 3);
	g = &r.got[2];
	CHECK_EQ(g->channel_type, NVSP_RNDIS_CHANNEL_DATA);
	CHECK(g->tid >= 16);
	CHECK_EQ(g->offset, g->tid * SUB);
	CHECK_EQ(g->count, SUB);
	memcpy(&p, g->msg, sizeof(p));
	CHECK_EQ(p.hdr.msg_type, RNDIS_MSG_PACKET);
	CHECK_EQ(p.hdr.msg_len, SUB);
	CHECK_EQ(p.data_offset, 248);
	CHECK_EQ(p.data_len, 60);
	CHECK_EQ(p.ppi_offset, 36);
	CHECK_EQ(p.ppi_len, 16);
	CHECK(memcmp(g->msg + 256 + 6, loop_mac, 6) == 0); /* the ARP reply */
	finish(&r);
}

/* Frames that are ready together go in one transfer-page packet, a range
 * (a sub-allocation) each, trans_id the first one's index, and its one
 * completion frees them all; a completion naming a later range's index is
 * for no packet, and a violation. */
TEST(sim_netvsp_frames_ready_together_share_a_packet)
{
	static struct raw r;
	uint8_t arp[60] = { 0 }, buf[200];
	struct hvsim_netvsp_stats st;
	uint32_t m[2] = { NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE, NVSP_STAT_SUCCESS };

	config(&r, "loop");
	start(&r);
	setup(&r, NVSP_VERSION_61, 1514);
	rndis_init(&r);
	memset(arp, 0xff, 6);
	memcpy(arp + 6, "\x00\x15\x5d\x00\x00\x01", 6);
	memcpy(arp + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01", 10);
	memcpy(arp + 38, "\x0a\x00\x02\x02", 4);
	/* Five answers wait while the filter is 0, then go at once. */
	for (int i = 0; i < 5; i++)
		CHECK_EQ(rndis(&r, 0, 1, buf, packet(buf, arp, sizeof(arp))), NVSP_STAT_SUCCESS);
	run_for(&r, HV_TICKS_PER_SEC / 20);
	set_filter(&r, NDIS_PACKET_TYPE_DIRECTED);
	wait_got(&r, 2 + 5);
	for (unsigned i = 0; i < 5; i++) {
		const struct got *g = &r.got[2 + i];

		CHECK_EQ(g->channel_type, NVSP_RNDIS_CHANNEL_DATA);
		CHECK_EQ(g->range_count, 5);
		CHECK_EQ(g->range_no, i);
		CHECK_EQ(g->tid, r.got[2].offset / SUB);
		CHECK_EQ(g->count, SUB);
		CHECK_EQ(g->offset % SUB, 0);
		CHECK(g->offset / SUB >= 16);
		for (unsigned j = 0; j < i; j++)
			CHECK(g->offset != r.got[2 + j].offset);
	}
	/* One completion per packet (on_packet's) frees all its ranges: 40
	 * more packets of 5, more than the 129 data sub-allocations, all come. */
	for (int k = 0; k < 40; k++) {
		set_filter(&r, 0);
		for (int i = 0; i < 5; i++)
			CHECK_EQ(rndis(&r, 0, 1, buf, packet(buf, arp, sizeof(arp))),
				 NVSP_STAT_SUCCESS);
		run_for(&r, HV_TICKS_PER_SEC / 100);
		r.ngot = 0;
		set_filter(&r, NDIS_PACKET_TYPE_DIRECTED);
		wait_got(&r, 1 + 5);
		CHECK_EQ(r.got[1].range_count, 5);
	}
	CHECK_EQ(hvsim_netvsp_stats(r.f.sim, &st), 0);
	CHECK_EQ(st.frames_to_guest, 205);
	/* Three more in one packet, held; a completion naming its second
	 * range's index. */
	set_filter(&r, 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(rndis(&r, 0, 1, buf, packet(buf, arp, sizeof(arp))), NVSP_STAT_SUCCESS);
	run_for(&r, HV_TICKS_PER_SEC / 20);
	r.ngot = 0;
	r.mode = COMPLETE_NONE;
	set_filter(&r, NDIS_PACKET_TYPE_DIRECTED);
	wait_got(&r, 1 + 3);
	CHECK_EQ(r.got[1].range_count, 3);
	CHECK_EQ(vmbus_send_completion(&r.ch, r.got[2].offset / SUB, m, sizeof(m)), 0);
	run_for(&r, HV_TICKS_PER_SEC / 100);
	finish_violated(&r, "which is not outstanding");
}

TEST(sim_netvsp_malformed_packets_get_status_2)
{
	static struct raw r;
	uint8_t frame[60] = { 0 }, buf[200];
	struct rndis_packet *p = (struct rndis_packet *)buf;
	struct hvsim_netvsp_stats st;
	uint32_t len;

	config(&r, NULL);
	start(&r);
	setup(&r, NVSP_VERSION_61, 1514);
	rndis_init(&r);
	len = packet(buf, frame, sizeof(frame));
	p->oob_len = 4;
	CHECK_EQ(rndis(&r, 0, 1, buf, len), NVSP_STAT_FAIL);
	len = packet(buf, frame, sizeof(frame));
	p->data_len = 0;
	CHECK_EQ(rndis(&r, 0, 1, buf, len), NVSP_STAT_FAIL);
	len = packet(buf, frame, sizeof(frame));
	p->data_offset = 0xFFFFFFF0u; /* wraps in 32 bits */
	CHECK_EQ(rndis(&r, 0, 1, buf, len), NVSP_STAT_FAIL);
	len = packet(buf, frame, sizeof(frame));
	p->hdr.msg_len = len + 1; /* longer than the section's bytes */
	CHECK_EQ(rndis(&r, 0, 1, buf, len), NVSP_STAT_FAIL);
	len = packet(buf, frame, sizeof(frame));
	CHECK_EQ(rndis(&r, 0, 1, buf, len), NVSP_STAT_SUCCESS);
	CHECK_EQ(hvsim_netvsp_stats(r.f.sim, &st), 0);
	CHECK_EQ(st.tx_malformed, 4);
	CHECK_EQ(st.frames_from_guest, 1);
	CHECK_EQ(st.dropped, 1); /* no backend */
	finish(&r);
}

/* With all 16 control sub-allocations held, answers wait for a completion. */
TEST(sim_netvsp_control_suballocations_held)
{
	static struct raw r;
	struct rndis_halt k = { { RNDIS_MSG_KEEPALIVE, sizeof(k) }, 0 };

	config(&r, NULL);
	start(&r);
	setup(&r, NVSP_VERSION_61, 1514);
	r.mode = COMPLETE_NONE;
	rndis_init(&r);
	for (uint32_t i = 0; i < 16; i++) {
		k.request_id = 100 + i;
		CHECK_EQ(rndis(&r, 1, 0, &k, sizeof(k)), NVSP_STAT_SUCCESS);
	}
	run_for(&r, HV_TICKS_PER_SEC / 20);
	CHECK_EQ(r.ngot, 16); /* INITIALIZE_CMPLT and 15 KEEPALIVE_CMPLTs */
	r.mode = COMPLETE_NVSP;
	complete(&r, r.held[0], COMPLETE_NVSP);
	wait_got(&r, 17);
	CHECK_EQ(r.got[16].tid, r.held[0]); /* the freed one is used again */
	CHECK_EQ(get32(r.got[16].msg + 8), 115);
	for (unsigned i = 1; i < r.nheld; i++)
		complete(&r, r.held[i], COMPLETE_NVSP);
	run_for(&r, HV_TICKS_PER_SEC / 100);
	finish(&r);
}

TEST(sim_netvsp_recv_buf_before_ndis_config_is_a_violation)
{
	static struct raw r;
	struct nvsp_msg m = msg(NVSP_MSG1_SEND_RECV_BUF);

	config(&r, NULL);
	start(&r);
	CHECK_EQ(init(&r, NVSP_VERSION_4), NVSP_STAT_SUCCESS);
	m.recv_buf.gpadl_handle = r.recv_g.handle;
	CHECK_EQ(vmbus_send_inband(&r.ch, &m, NVSP_MSG_SIZE,
				   vmbus_request_start(&r.ch, on_done, &r, REQ_TIMEOUT)), 0);
	run_for(&r, HV_TICKS_PER_SEC / 100);
	finish_violated(&r, "SEND_RECV_BUF before SEND_NDIS_CONFIG");
}

TEST(sim_netvsp_empty_receive_completion_is_a_violation)
{
	static struct raw r;

	config(&r, NULL);
	start(&r);
	setup(&r, NVSP_VERSION_61, 1514);
	r.mode = COMPLETE_EMPTY;
	rndis_init(&r);
	run_for(&r, HV_TICKS_PER_SEC / 100);
	finish_violated(&r, "it must carry SEND_RNDIS_PKT_COMPLETE");
}

TEST(sim_netvsp_buffer_torn_down_before_revoke_is_a_violation)
{
	static struct raw r;

	config(&r, NULL);
	start(&r);
	setup(&r, NVSP_VERSION_61, 1514);
	CHECK_EQ(vmbus_gpadl_teardown(&r.f.vb, &r.recv_g), 0);
	finish_violated(&r, "GPADL_TEARDOWN of the receive buffer");
}

TEST(sim_netvsp_rndis_before_setup_is_a_violation)
{
	static struct raw r;
	struct rndis_init m = { { RNDIS_MSG_INIT, sizeof(m) }, 1, 1, 0, 0x4000 };
	struct nvsp_msg n = msg(NVSP_MSG1_SEND_RNDIS_PKT);

	config(&r, NULL);
	start(&r);
	CHECK_EQ(init(&r, NVSP_VERSION_61), NVSP_STAT_SUCCESS);
	memcpy(r.send, &m, sizeof(m));
	n.rndis_pkt.channel_type = 1;
	n.rndis_pkt.send_buf_section_size = sizeof(m);
	r.done = false;
	CHECK_EQ(vmbus_send_inband(&r.ch, &n, NVSP_MSG_SIZE,
				   vmbus_request_start(&r.ch, on_done, &r, REQ_TIMEOUT)), 0);
	run_for(&r, HV_TICKS_PER_SEC / 100);
	CHECK(!r.done); /* no answer: the host stopped serving the channel */
	finish_violated(&r, "SEND_RNDIS_PKT before SEND_NDIS_VER");
}
