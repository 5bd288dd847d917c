/* hvsim's host side of VMBus channels, driven directly: raw channel messages
 * through the seam, and the guest's half of the rings laid out by hand with
 * vmbus/ring.c. GPADLs, open/close, the echo device, signalling both ways,
 * rescind, flow control, and a few host faults. */
#include <errno.h>
#include <string.h>

#include "../lib/util.h"
#include "../sim/echo_proto.h"
#include "../vmbus/ring.h"
#include "fixture.h"

#define WAIT_TICKS (5 * HV_TICKS_PER_SEC) /* reference time; stepped mode: virtual */
#define RELID_ECHO 1u                     /* devices "echo,..." : the echo device is relid 1 */

static void post(struct fx *f, const void *msg, uint32_t len)
{
	uint16_t st = hv_post_message(&f->hv, f->vb.msg_conn, msg, len);

	CHECK_MSG(st == HV_STATUS_SUCCESS, "post of %u bytes: HV status 0x%x", len, st);
}

/* The next host message must be of this type; copies len bytes of it. */
static void expect_msg(struct fx *f, uint32_t type, void *out, uint32_t len)
{
	uint64_t deadline = hv_time(&f->hv) + WAIT_TICKS;
	struct hv_message m;

	while (hv_time(&f->hv) < deadline) {
		if (hv_recv_message(&f->hv, &m)) {
			uint32_t t;

			memcpy(&t, m.payload, 4);
			CHECK_MSG(t == type, "expected host message %u (%s), got %u (%s)", type,
				  vmbus_msg_name(type), t, vmbus_msg_name(t));
			CHECK_EQ(m.payload_size, len);
			memcpy(out, m.payload, len);
			return;
		}
		hv_idle(f->seam);
	}
	test_fail(__FILE__, __LINE__, "no %s from the host", vmbus_msg_name(type));
}

/* No host message for `ticks` of reference time. */
static void expect_silence(struct fx *f, uint64_t ticks)
{
	uint64_t deadline = hv_time(&f->hv) + ticks;
	struct hv_message m;

	while (hv_time(&f->hv) < deadline) {
		if (hv_recv_message(&f->hv, &m))
			test_fail(__FILE__, __LINE__, "unexpected host message %u",
				  (unsigned)m.payload[0]);
		hv_idle(f->seam);
	}
}

/* A configuration to adjust, then bring_up(); or go() for both at once. */
static void start(struct fx *f, const char *devices, uint32_t faults)
{
	fx_config(f);
	f->cfg.devices = devices;
	f->cfg.faults = faults;
}

static void bring_up(struct fx *f)
{
	fx_start(f);
	fx_connect(f);
}

static void go(struct fx *f, const char *devices, uint32_t faults)
{
	start(f, devices, faults);
	bring_up(f);
}

/* --- GPADLs -------------------------------------------------------------- */

/* GPADL_HEADER with up to 26 PFNs, then bodies of up to 28 (facts 3.2). */
static void send_gpadl(struct fx *f, uint32_t relid, uint32_t handle, const uint64_t *pfns,
		       uint32_t n)
{
	struct vmbus_msg_gpadl_header h;
	uint32_t k = n < VMBUS_GPADL_HEADER_PFNS ? n : VMBUS_GPADL_HEADER_PFNS;

	memset(&h, 0, sizeof(h));
	h.hdr.msgtype = VMBUS_MSG_GPADL_HEADER;
	h.child_relid = relid;
	h.gpadl = handle;
	h.range_buflen = (uint16_t)(8 + 8 * n);
	h.rangecount = 1;
	h.byte_count = n * HVB_PAGE_SIZE;
	memcpy(h.pfn, pfns, 8 * k);
	post(f, &h, 28 + 8 * k);
	while (k < n) {
		struct vmbus_msg_gpadl_body b;
		uint32_t m = n - k < VMBUS_GPADL_BODY_PFNS ? n - k : VMBUS_GPADL_BODY_PFNS;

		memset(&b, 0, sizeof(b));
		b.hdr.msgtype = VMBUS_MSG_GPADL_BODY;
		b.gpadl = handle;
		memcpy(b.pfn, pfns + k, 8 * m);
		post(f, &b, 16 + 8 * m);
		k += m;
	}
}

static uint32_t gpadl_status(struct fx *f, uint32_t relid, uint32_t handle)
{
	struct vmbus_msg_gpadl_created c;

	expect_msg(f, VMBUS_MSG_GPADL_CREATED, &c, sizeof(c));
	CHECK_EQ(c.child_relid, relid);
	CHECK_EQ(c.gpadl, handle);
	return c.status;
}

static void teardown(struct fx *f, uint32_t relid, uint32_t handle)
{
	struct vmbus_msg_gpadl_teardown t = { { VMBUS_MSG_GPADL_TEARDOWN, 0 }, relid, handle };
	struct vmbus_msg_gpadl_torndown r;

	post(f, &t, sizeof(t));
	expect_msg(f, VMBUS_MSG_GPADL_TORNDOWN, &r, sizeof(r));
	CHECK_EQ(r.gpadl, handle);
}

/* n pages of guest RAM and their PFNs. */
static uint64_t *pages(struct fx *f, uint32_t n, void **mem)
{
	uint64_t gpa, *pfns = calloc(n, 8);

	*mem = f->seam->alloc(f->seam, n, &gpa);
	CHECK(*mem && pfns);
	for (uint32_t i = 0; i < n; i++)
		pfns[i] = (gpa >> 12) + i;
	return pfns;
}

static void gpadl_round_trip(struct fx *f, uint32_t n, uint32_t handle)
{
	struct hvsim_channel_stats cs;
	void *mem;
	uint64_t *pfns = pages(f, n, &mem);

	send_gpadl(f, 2, handle, pfns, n);
	CHECK_EQ(gpadl_status(f, 2, handle), 0);
	CHECK_EQ(hvsim_channel_stats(f->sim, 2, &cs), 0);
	CHECK_EQ(cs.gpadls, 1);
	teardown(f, 2, handle);
	CHECK_EQ(hvsim_channel_stats(f->sim, 2, &cs), 0);
	CHECK_EQ(cs.gpadls, 0);
	f->seam->free(f->seam, mem, n);
	free(pfns);
}

TEST(sim_gpadl_sizes)
{
	struct fx f;
	struct hvsim_stats st;

	go(&f, "echo,storvsc", 0);
	gpadl_round_trip(&f, 1, 0xe1e10);
	gpadl_round_trip(&f, 26, 0xe1e11);   /* header only, full */
	gpadl_round_trip(&f, 27, 0xe1e12);   /* header + one body */
	gpadl_round_trip(&f, 1000, 0xe1e13); /* header + 35 bodies: more than 16 port buffers */
	hvsim_get_stats(f.sim, &st);
	CHECK_EQ(st.gpadls_created, 4);
	CHECK_EQ(st.gpadls_torn_down, 4);
	CHECK(strstr(fx_trace(&f), "type=9 GPADL_BODY len=240 "));
	fx_finish(&f);
	fx_destroy(&f);
}

/* The guest did something wrong: exactly these violations, and then the
 * audit names them. */
static void finish_with_violations(struct fx *f, unsigned n, const char *needle)
{
	char audit[512];

	CHECK_EQ(hvsim_violation_count(f->sim), n);
	CHECK_MSG(strstr(hvsim_violation(f->sim, 0), needle), "violation '%s' lacks '%s'",
		  hvsim_violation(f->sim, 0), needle);
	CHECK_EQ(vmbus_unload(&f->vb), 0);
	hv_teardown(&f->hv);
	CHECK(!hvsim_audit(f->sim, true, audit, sizeof(audit)));
	CHECK_MSG(strstr(audit, "protocol violation(s)"), "%s", audit);
	fx_destroy(f);
}

/* A PFN outside guest RAM (in a body: one answer, after the last body, with
 * a failure status), and a handle used twice. */
TEST(sim_gpadl_guest_errors)
{
	struct hvsim_stats st;
	struct fx f;
	void *mem;
	uint64_t *pfns;

	go(&f, "echo", 0);
	pfns = pages(&f, 30, &mem);
	send_gpadl(&f, RELID_ECHO, 9, pfns + 29, 1);
	CHECK_EQ(gpadl_status(&f, RELID_ECHO, 9), 0);
	pfns[28] = 0x10; /* GPA 0x10000: below guest RAM */
	send_gpadl(&f, RELID_ECHO, 7, pfns, 30);
	CHECK(gpadl_status(&f, RELID_ECHO, 7) != 0);
	expect_silence(&f, HV_TICKS_PER_SEC / 10);
	send_gpadl(&f, RELID_ECHO, 9, pfns, 1);
	CHECK(gpadl_status(&f, RELID_ECHO, 9) != 0);
	hvsim_get_stats(f.sim, &st);
	CHECK_EQ(st.gpadls_created, 1);
	teardown(&f, RELID_ECHO, 9); /* the first one is still there */
	CHECK(strstr(hvsim_violation(f.sim, 1), "gpadl 9: that handle is already in use"));
	free(pfns);
	finish_with_violations(&f, 2, "gpadl 7: PFN 28 is 0x10, not a page of guest RAM");
}

TEST(sim_gpadl_left_behind_is_audited)
{
	struct fx f;
	char audit[512];
	void *mem;
	uint64_t *pfns;

	go(&f, "echo", 0);
	pfns = pages(&f, 1, &mem);
	send_gpadl(&f, RELID_ECHO, 3, pfns, 1);
	CHECK_EQ(gpadl_status(&f, RELID_ECHO, 3), 0);
	CHECK(!hvsim_audit(f.sim, false, audit, sizeof(audit)));
	CHECK_MSG(strstr(audit, "1 GPADL(s) never torn down"), "%s", audit);
	CHECK_EQ(vmbus_unload(&f.vb), 0); /* UNLOAD releases it for the guest */
	hv_teardown(&f.hv);
	fx_no_violations(&f);
	CHECK(!hvsim_audit(f.sim, true, audit, sizeof(audit)));
	CHECK_MSG(strstr(audit, "1 GPADL(s) never torn down (released by UNLOAD)"), "%s", audit);
	free(pfns);
	fx_destroy(&f);
}

/* --- channels ------------------------------------------------------------ */

/* A channel opened by hand: one GPADL for both rings, g2h pages [0, s),
 * h2g pages [s, npages). out/in are the guest's view. */
struct chan {
	struct fx *f;
	uint32_t relid, conn, handle, npages;
	void *mem;
	uint64_t *pfns;
	struct ring out, in;
	uint8_t rx[16384];
};

static void open_post(struct fx *f, uint32_t relid, uint32_t handle, uint32_t s)
{
	struct vmbus_msg_open_channel m;

	memset(&m, 0, sizeof(m));
	m.hdr.msgtype = VMBUS_MSG_OPENCHANNEL;
	m.child_relid = relid;
	m.openid = 0xabc0 + relid;
	m.ringbuffer_gpadl = handle;
	m.downstream_page_offset = s;
	post(f, &m, sizeof(m));
}

/* OPENCHANNEL; returns the result's status. */
static uint32_t open_msg(struct fx *f, uint32_t relid, uint32_t handle, uint32_t s)
{
	struct vmbus_msg_open_result r;

	open_post(f, relid, handle, s);
	expect_msg(f, VMBUS_MSG_OPENCHANNEL_RESULT, &r, sizeof(r));
	CHECK_EQ(r.child_relid, relid);
	CHECK_EQ(r.openid, 0xabc0 + relid);
	return r.status;
}

static uint32_t chan_open_status(struct fx *f, struct chan *c, uint32_t relid, uint32_t s,
				 uint32_t h2g_pages)
{
	uint8_t *base;

	memset(c, 0, sizeof(*c));
	c->f = f;
	c->relid = relid;
	c->conn = f->vb.offers[relid - 1].connection_id;
	c->handle = 0x100 + relid;
	c->npages = s + h2g_pages;
	c->pfns = pages(f, c->npages, &c->mem);
	base = c->mem;
	CHECK_EQ(ring_init(&c->out, base, s * HVB_PAGE_SIZE, "test g2h"), 0);
	ring_reset(&c->out);
	CHECK_EQ(ring_init(&c->in, base + s * HVB_PAGE_SIZE, h2g_pages * HVB_PAGE_SIZE, "test h2g"), 0);
	ring_reset(&c->in);
	c->in.allowed_types = 1u << VMBUS_PKT_DATA_INBAND | 1u << VMBUS_PKT_COMP;
	send_gpadl(f, relid, c->handle, c->pfns, c->npages);
	CHECK_EQ(gpadl_status(f, relid, c->handle), 0);
	return open_msg(f, relid, c->handle, s);
}

static void chan_open(struct fx *f, struct chan *c, uint32_t relid, uint32_t s, uint32_t h2g)
{
	CHECK_EQ(chan_open_status(f, c, relid, s, h2g), 0);
}

static void chan_free(struct chan *c)
{
	c->f->seam->free(c->f->seam, c->mem, c->npages);
	free(c->pfns);
}

static void chan_close(struct chan *c)
{
	struct vmbus_msg_relid m = { { VMBUS_MSG_CLOSECHANNEL, 0 }, c->relid };

	post(c->f, &m, sizeof(m));
	teardown(c->f, c->relid, c->handle);
	chan_free(c);
}

static void chan_signal(struct chan *c)
{
	CHECK_EQ(hv_signal_event(&c->f->hv, c->conn), HV_STATUS_SUCCESS);
}

/* Write one inband packet; signal the host if the ring says so. */
static void chan_send(struct chan *c, uint16_t flags, uint64_t tid, const void *p, uint32_t len)
{
	bool sig;

	CHECK_EQ(ring_write_inband(&c->out, VMBUS_PKT_DATA_INBAND, flags, tid, p, len, &sig), 0);
	if (sig)
		chan_signal(c);
}

/* The next packet from the host, within the deadline. */
static void chan_recv(struct chan *c, struct ring_pkt *pkt)
{
	uint64_t deadline = hv_time(&c->f->hv) + WAIT_TICKS;

	while (hv_time(&c->f->hv) < deadline) {
		int rc = ring_read(&c->in, c->rx, sizeof(c->rx), pkt);

		CHECK(rc >= 0);
		if (rc == 1) {
			bool sig;

			ring_read_done(&c->in, &sig);
			if (sig)
				chan_signal(c);
			return;
		}
		hv_idle(c->f->seam);
	}
	test_fail(__FILE__, __LINE__, "no packet from the host on relid %u", c->relid);
}

static bool sief_bit(struct fx *f, unsigned bit)
{
	return (f->hv.sief[VMBUS_SINT_SLOT * HV_SIEF_SLOT_BYTES + bit / 8] >> (bit % 8)) & 1;
}

static void echo_inband(struct fx *f)
{
	struct hvsim_channel_stats cs;
	struct chan c;
	struct ring_pkt p;
	const char hello[] = "hello, echo";   /* 12 bytes: padded to 16 */
	char line[128];

	chan_open(f, &c, RELID_ECHO, 3, 3);
	CHECK_EQ(c.in.hdr->feature_bits, 1);   /* host honours pending_send_sz */
	CHECK_EQ(c.in.hdr->pending_send_sz, 0);
	CHECK_EQ(c.out.hdr->interrupt_mask, 0); /* host wants signals */
	CHECK(!sief_bit(f, RELID_ECHO));

	chan_send(&c, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 42, hello, sizeof(hello));
	chan_recv(&c, &p);
	CHECK_EQ(p.type, VMBUS_PKT_COMP);
	CHECK_EQ(p.trans_id, 42);
	CHECK_EQ(p.flags, 0);
	CHECK_EQ(p.len - p.offset, 16);
	CHECK(memcmp(p.data + p.offset, hello, sizeof(hello)) == 0);
	if (f->vb.version >= VMBUS_VERSION_WIN8) {
		CHECK(sief_bit(f, RELID_ECHO)); /* the host signalled: SIEF bit relid */
	} else {
		CHECK(sief_bit(f, 0)); /* bit 0, and bit relid in the receive half */
		CHECK(((uint8_t *)f->vb.int_page)[RELID_ECHO / 8] & (1u << (RELID_ECHO % 8)));
	}

	chan_send(&c, 0, 7, "ping", 4);
	chan_recv(&c, &p);
	CHECK_EQ(p.type, VMBUS_PKT_DATA_INBAND);
	CHECK_EQ(p.trans_id, 0);
	CHECK(memcmp(p.data + p.offset, "ping", 4) == 0);

	CHECK_EQ(hvsim_channel_stats(f->sim, RELID_ECHO, &cs), 0);
	CHECK(cs.offered && cs.open && !cs.rescinded);
	CHECK_EQ(cs.guest_signals, 2);
	CHECK_EQ(cs.spurious_signals, 0);
	CHECK_EQ(cs.host_signals, 2);
	CHECK_EQ(cs.packets_in, 2);
	CHECK_EQ(cs.packets_out, 2);
	CHECK_EQ(cs.gpadls, 1);
	snprintf(line, sizeof(line), "pkt g2h relid=1 type=6 flags=1 tid=42 len=32 "
		 "06000200040001002a00000000000000%s", "68656c6c6f2c206563686f0000000000");
	CHECK_MSG(strstr(fx_trace(f), line), "trace lacks '%s'", line);
	CHECK(strstr(fx_trace(f), "pkt h2g relid=1 type=11 flags=0 tid=42 len=32 0b00020004000000"));
	chan_close(&c);
	CHECK_EQ(hvsim_channel_stats(f->sim, RELID_ECHO, &cs), 0);
	CHECK(!cs.open);
	CHECK_EQ(cs.gpadls, 0);
}

TEST(sim_echo_inband_and_completion)
{
	struct fx f;
	struct hvsim_stats st;

	go(&f, "echo", 0);
	echo_inband(&f);
	hvsim_get_stats(f.sim, &st);
	CHECK_EQ(st.opens, 1);
	CHECK_EQ(st.closes, 1);
	fx_finish(&f);
	fx_destroy(&f);
}

TEST(sim_echo_old_versions_use_the_interrupt_page)
{
	struct fx f;

	/* WIN7: per-channel connection, interrupt page for host->guest;
	 * WS2008: connection 2 and the interrupt page both ways. */
	start(&f, "echo", 0);
	f.cfg.vmbus_max = VMBUS_VERSION_WIN7;
	bring_up(&f);
	echo_inband(&f);
	fx_finish(&f);
	fx_destroy(&f);

	start(&f, "echo", 0);
	f.cfg.vmbus_max = VMBUS_VERSION_WS2008;
	bring_up(&f);
	CHECK_EQ(f.vb.offers[0].connection_id, VMBUS_EVENT_CONNECTION_ID);
	/* the guest sets bit relid in the send half before signalling conn 2 */
	{
		struct chan c;
		struct ring_pkt p;
		uint8_t *send = (uint8_t *)f.vb.int_page + HVB_PAGE_SIZE / 2;
		bool sig;

		chan_open(&f, &c, RELID_ECHO, 2, 2);
		CHECK_EQ(ring_write_inband(&c.out, VMBUS_PKT_DATA_INBAND,
					   VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 5, "abcd", 4, &sig), 0);
		CHECK(sig);
		__atomic_fetch_or(&send[RELID_ECHO / 8], 1u << (RELID_ECHO % 8), __ATOMIC_SEQ_CST);
		chan_signal(&c);
		CHECK_EQ(send[RELID_ECHO / 8], 0); /* the host took the bit */
		chan_recv(&c, &p);
		CHECK_EQ(p.trans_id, 5);
		CHECK(sief_bit(&f, 0));
		chan_close(&c);
	}
	fx_finish(&f);
	fx_destroy(&f);
}

TEST(sim_echo_needs_a_signal)
{
	struct fx f;
	struct hvsim_channel_stats cs;
	struct chan c;
	struct ring_pkt p;
	bool sig;

	go(&f, "echo", 0);
	chan_open(&f, &c, RELID_ECHO, 2, 2);
	/* a signal with nothing to read is spurious (and the host's next
	 * step finds nothing) */
	chan_signal(&c);
	hv_idle(f.seam);
	/* a packet without its signal is never read */
	CHECK_EQ(ring_write_inband(&c.out, VMBUS_PKT_DATA_INBAND, 0, 0, "lost", 4, &sig), 0);
	CHECK(sig);
	for (int i = 0; i < 1000; i++)
		hv_idle(f.seam);
	CHECK_EQ(ring_read(&c.in, c.rx, sizeof(c.rx), &p), 0);
	CHECK_EQ(hvsim_channel_stats(f.sim, RELID_ECHO, &cs), 0);
	CHECK_EQ(cs.packets_in, 0);
	CHECK_EQ(cs.spurious_signals, 1);
	chan_signal(&c);
	chan_recv(&c, &p);
	CHECK(memcmp(p.data + p.offset, "lost", 4) == 0);
	CHECK_EQ(hvsim_channel_stats(f.sim, RELID_ECHO, &cs), 0);
	CHECK_EQ(cs.guest_signals, 2);
	CHECK_EQ(cs.spurious_signals, 1);
	/* a signal for a channel that is not open is refused */
	chan_close(&c);
	CHECK_EQ(hv_signal_event(&f.hv, c.conn), HV_STATUS_INVALID_CONNECTION_ID);
	fx_finish(&f);
	fx_destroy(&f);
}

TEST(sim_echo_host_polls)
{
	for (int threaded = 0; threaded < 2; threaded++) {
		struct fx f;
		struct chan c;
		struct ring_pkt p;
		bool sig;

		start(&f, "echo", 0);
		f.cfg.host_polls = true;
		f.cfg.threaded = threaded;
		bring_up(&f);
		chan_open(&f, &c, RELID_ECHO, 2, 2);
		CHECK_EQ(c.out.hdr->interrupt_mask, 1); /* so the guest does not signal */
		for (uint64_t i = 1; i <= 20; i++) {
			CHECK_EQ(ring_write_inband(&c.out, VMBUS_PKT_DATA_INBAND, 0, 0, &i, 8, &sig), 0);
			CHECK(!sig);
			chan_recv(&c, &p);
			CHECK(memcmp(p.data + p.offset, &i, 8) == 0);
		}
		chan_close(&c);
		fx_finish(&f);
		fx_destroy(&f);
	}
}

/* GPA-direct: descriptor, reserved, range_count 1, one range, the command. */
static void gpa_cmd(struct chan *c, uint32_t op, uint32_t seed, const uint64_t *pfns, uint32_t npfn,
		    uint32_t off, uint32_t count, struct echo_reply *rep)
{
	struct vmbus_gpa_direct_hdr h;
	struct vmbus_gpa_range r = { count, off };
	struct echo_cmd cmd = { op, seed };
	uint32_t hdr_len = sizeof(h) + sizeof(r) + 8 * npfn;
	struct ring_seg segs[4] = {
		{ &h, sizeof(h) }, { &r, sizeof(r) }, { pfns, 8 * npfn }, { &cmd, sizeof(cmd) }
	};
	struct ring_pkt p;
	bool sig;

	memset(&h, 0, sizeof(h));
	h.desc.type = VMBUS_PKT_DATA_GPA_DIRECT;
	h.desc.offset8 = (uint16_t)(hdr_len / 8);
	h.desc.len8 = (uint16_t)((hdr_len + sizeof(cmd)) / 8);
	h.desc.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	h.desc.trans_id = 99;
	h.range_count = 1;
	CHECK_EQ(ring_write(&c->out, segs, 4, &sig), 0);
	if (sig)
		chan_signal(c);
	chan_recv(c, &p);
	CHECK_EQ(p.type, VMBUS_PKT_COMP);
	CHECK_EQ(p.trans_id, 99);
	CHECK_EQ(p.len - p.offset, sizeof(*rep));
	memcpy(rep, p.data + p.offset, sizeof(*rep));
}

TEST(sim_echo_gpa_direct)
{
	struct fx f;
	struct chan c;
	struct echo_reply rep;
	uint8_t *buf;
	void *mem;
	uint64_t *pfns, bad = 0x10;

	go(&f, "echo", 0);
	chan_open(&f, &c, RELID_ECHO, 2, 2);
	pfns = pages(&f, 3, &mem);
	buf = mem;
	for (unsigned i = 0; i < 3 * HVB_PAGE_SIZE; i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	/* 9000 bytes from offset 100: three pages */
	gpa_cmd(&c, ECHO_OP_SUM, 0, pfns, 3, 100, 9000, &rep);
	CHECK_EQ(rep.status, 0);
	CHECK_EQ(rep.op, ECHO_OP_SUM);
	CHECK_EQ(rep.bytes, 9000);
	CHECK(rep.hash == echo_fnv1a(ECHO_FNV_OFFSET, buf + 100, 9000));
	/* 200 bytes across a page boundary */
	gpa_cmd(&c, ECHO_OP_FILL, 9, pfns, 2, 4000, 200, &rep);
	CHECK_EQ(rep.status, 0);
	CHECK_EQ(rep.bytes, 200);
	for (unsigned i = 0; i < 200; i++)
		CHECK_EQ(buf[4000 + i], echo_fill_byte(9, i));
	CHECK_EQ(buf[3999], (uint8_t)(3999 * 13 + 1));
	gpa_cmd(&c, ECHO_OP_SUM, 0, &bad, 1, 0, 10, &rep);
	CHECK_EQ(rep.status, 1); /* not guest memory */
	gpa_cmd(&c, 77, 0, pfns, 1, 0, 10, &rep);
	CHECK_EQ(rep.status, 2); /* unknown op */
	f.seam->free(f.seam, mem, 3);
	free(pfns);
	chan_close(&c);
	fx_finish(&f);
	fx_destroy(&f);
}

/* The h2g ring holds few answers: the host waits for room (pending_send_sz),
 * the guest's read signals it, and every request is answered in order. */
static void flow_control(bool threaded, bool no_feature)
{
	struct fx f;
	struct hvsim_channel_stats cs;
	struct chan c;
	uint8_t payload[1000];
	unsigned sent = 0, got = 0;
	bool host_waited = false;
	uint64_t deadline;

	start(&f, "echo", 0);
	f.cfg.threaded = threaded;
	f.cfg.no_pending_send_feature = no_feature;
	bring_up(&f);
	chan_open(&f, &c, RELID_ECHO, 8, 2); /* 28 KiB g2h, 4 KiB h2g */
	CHECK_EQ(c.in.hdr->feature_bits, no_feature ? 0 : 1);
	/* Up to 20 requests (20 KiB) outstanding: far more answers than the
	 * h2g ring holds (3 of 1 KiB). A threaded host publishes its read
	 * index when its pass ends, and a pass goes on while we keep writing
	 * and reading: the g2h ring can then look full with fewer requests
	 * outstanding, and we wait for room as a guest does (bounded). */
	deadline = hv_time(&f.hv) + WAIT_TICKS;
	while (got < 40) {
		struct ring_pkt p;
		bool sig;

		if (sent < 40 && sent - got < 20 && threaded &&
		    ring_free_bytes(&c.out) <= sizeof(payload) + 64) {
			CHECK(hv_time(&f.hv) < deadline);
			hv_idle(f.seam);
			continue;
		}
		if (sent < 40 && sent - got < 20) {
			memset(payload, (int)sent, sizeof(payload));
			CHECK_EQ(ring_write_inband(&c.out, VMBUS_PKT_DATA_INBAND,
						   VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 1000 + sent,
						   payload, sizeof(payload), &sig), 0);
			sent++;
			if (sig)
				chan_signal(&c);
			continue;
		}
		for (int i = 0; i < 10 && !threaded; i++)
			hv_idle(f.seam); /* let the host fill the h2g ring */
		host_waited |= hvb_read32(&c.in.hdr->pending_send_sz) != 0;
		chan_recv(&c, &p);
		CHECK_EQ(p.trans_id, 1000 + got);
		CHECK_EQ(p.data[p.offset], (uint8_t)got);
		got++;
	}
	CHECK_EQ(hvsim_channel_stats(f.sim, RELID_ECHO, &cs), 0);
	CHECK_EQ(cs.packets_in, 40);
	CHECK_EQ(cs.packets_out, 40);
	if (!threaded) {
		CHECK_EQ(cs.spurious_signals, 0);
		CHECK_EQ(host_waited, !no_feature); /* a pre-WS2012 host never asks */
	}
	chan_close(&c);
	fx_finish(&f);
	fx_destroy(&f);
}

TEST(sim_echo_flow_control)
{
	flow_control(false, false);
	flow_control(false, true); /* a pre-WS2012 host polls instead */
}

TEST(sim_echo_threaded)
{
	struct fx f;
	struct chan c;
	struct ring_pkt p;

	start(&f, "echo", 0);
	f.cfg.threaded = true;
	bring_up(&f);
	chan_open(&f, &c, RELID_ECHO, 2, 2);
	for (uint64_t i = 1; i <= 50; i++) {
		chan_send(&c, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, i, &i, sizeof(i));
		chan_recv(&c, &p);
		CHECK_EQ(p.trans_id, i);
	}
	chan_close(&c);
	fx_finish(&f);
	fx_destroy(&f);
	flow_control(true, false);
}

TEST(sim_open_checks_and_a_corrupt_ring)
{
	struct hvsim_channel_stats cs;
	struct fx f;
	struct chan c;
	void *mem;
	uint64_t *pfns;

	/* a ring of one page (header only) cannot be opened */
	go(&f, "echo", 0);
	pfns = pages(&f, 4, &mem);
	send_gpadl(&f, RELID_ECHO, 0x55, pfns, 4);
	CHECK_EQ(gpadl_status(&f, RELID_ECHO, 0x55), 0);
	CHECK(open_msg(&f, RELID_ECHO, 0x55, 1) != 0);
	teardown(&f, RELID_ECHO, 0x55);
	f.seam->free(f.seam, mem, 4);
	free(pfns);
	/* a write index the host cannot use: the channel stops being served */
	chan_open(&f, &c, RELID_ECHO, 2, 2);
	c.out.hdr->write_index = 12;
	chan_signal(&c);
	expect_silence(&f, HV_TICKS_PER_SEC / 100);
	CHECK_EQ(hvsim_violation_count(f.sim), 2);
	CHECK(strstr(hvsim_violation(f.sim, 1), "relid 1: the guest->host ring's write_index 12"));
	CHECK_EQ(hvsim_channel_stats(f.sim, RELID_ECHO, &cs), 0);
	CHECK(cs.open && cs.packets_in == 0);
	chan_close(&c);
	finish_with_violations(&f, 2, "downstream_page_offset 1 in a 4-page");
}

/* --- rescind ------------------------------------------------------------- */

TEST(sim_rescind_open_channel)
{
	struct fx f;
	struct hvsim_channel_stats cs;
	struct vmbus_msg_relid m;
	char audit[512];
	struct chan c;

	go(&f, "echo,storvsc", 0);
	chan_open(&f, &c, RELID_ECHO, 2, 2);
	hvsim_rescind(f.sim, RELID_ECHO);
	expect_msg(&f, VMBUS_MSG_RESCIND_CHANNELOFFER, &m, sizeof(m));
	CHECK_EQ(m.child_relid, RELID_ECHO);
	CHECK(!hvsim_audit(f.sim, false, audit, sizeof(audit)));
	CHECK_MSG(strstr(audit, "relid 1 rescinded but never released"), "%s", audit);
	/* close, no GPADL_TEARDOWN (as Linux), then release */
	m.hdr.msgtype = VMBUS_MSG_CLOSECHANNEL;
	post(&f, &m, sizeof(m));
	m.hdr.msgtype = VMBUS_MSG_RELID_RELEASED;
	post(&f, &m, sizeof(m));
	expect_silence(&f, HV_TICKS_PER_SEC / 100);
	CHECK_EQ(hvsim_channel_stats(f.sim, RELID_ECHO, &cs), 0);
	CHECK(cs.rescinded && cs.released && !cs.open && !cs.offered);
	CHECK_EQ(cs.gpadls, 0);
	CHECK_EQ(hvsim_channel_stats(f.sim, 3, &cs), -ENOENT);
	chan_free(&c);
	fx_finish(&f);
	fx_destroy(&f);
}

/* --- host faults --------------------------------------------------------- */

/* GPADL and open faults, one run each: the first GPADL refused, the first
 * never answered, every GPADL_CREATED late, opens failed, never answered,
 * late, or answered by a rescind. */
TEST(sim_fault_gpadl_and_open)
{
	static const uint32_t faults[] = {
		HVSIM_FAULT_GPADL_BAD_STATUS, HVSIM_FAULT_GPADL_DROP, HVSIM_FAULT_GPADL_DELAY,
		HVSIM_FAULT_OPEN_FAIL,        HVSIM_FAULT_OPEN_DROP,  HVSIM_FAULT_OPEN_DELAY,
		HVSIM_FAULT_RESCIND_DURING_OPEN,
	};

	for (unsigned i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		uint32_t fault = faults[i];
		struct vmbus_msg_relid m = { { VMBUS_MSG_CLOSECHANNEL, 0 }, RELID_ECHO };
		char audit[512];
		struct fx f;
		struct chan c;
		uint64_t t0, *pfns;
		void *mem;

		go(&f, "echo", fault);
		pfns = pages(&f, 1, &mem);
		t0 = hv_time(&f.hv);
		send_gpadl(&f, RELID_ECHO, 5, pfns, 1);
		if (fault == HVSIM_FAULT_GPADL_DROP)
			expect_silence(&f, HV_TICKS_PER_SEC / 2);
		else
			CHECK_EQ(gpadl_status(&f, RELID_ECHO, 5),
				 fault == HVSIM_FAULT_GPADL_BAD_STATUS ? 0xC0000001u : 0);
		CHECK_EQ(hv_time(&f.hv) - t0 >= 100 * HV_TICKS_PER_MS,
			 fault == HVSIM_FAULT_GPADL_DELAY || fault == HVSIM_FAULT_GPADL_DROP);
		if (fault != HVSIM_FAULT_GPADL_BAD_STATUS)
			teardown(&f, RELID_ECHO, 5); /* answered even if never created */
		f.seam->free(f.seam, mem, 1);
		free(pfns);
		if (fault == HVSIM_FAULT_OPEN_DROP || fault == HVSIM_FAULT_RESCIND_DURING_OPEN) {
			pfns = pages(&f, 4, &mem);
			send_gpadl(&f, RELID_ECHO, 6, pfns, 4);
			CHECK_EQ(gpadl_status(&f, RELID_ECHO, 6), 0);
			open_post(&f, RELID_ECHO, 6, 2);
			if (fault == HVSIM_FAULT_OPEN_DROP) {
				expect_silence(&f, HV_TICKS_PER_SEC / 2);
				CHECK(!hvsim_audit(f.sim, false, audit, sizeof(audit)));
				CHECK_MSG(strstr(audit, "1 channel(s) opening"), "%s", audit);
				post(&f, &m, sizeof(m)); /* CLOSECHANNEL ends it */
				teardown(&f, RELID_ECHO, 6);
			} else {
				/* rescinded before it opened: no CLOSECHANNEL owed */
				expect_msg(&f, VMBUS_MSG_RESCIND_CHANNELOFFER, &m, sizeof(m));
				m.hdr.msgtype = VMBUS_MSG_RELID_RELEASED;
				post(&f, &m, sizeof(m));
			}
			f.seam->free(f.seam, mem, 4);
			free(pfns);
		} else {
			t0 = hv_time(&f.hv);
			CHECK_EQ(chan_open_status(&f, &c, RELID_ECHO, 2, 2),
				 fault == HVSIM_FAULT_OPEN_FAIL ? 0xC0000001u : 0);
			if (fault == HVSIM_FAULT_OPEN_DELAY)
				CHECK(hv_time(&f.hv) - t0 >= 100 * HV_TICKS_PER_MS);
			if (fault == HVSIM_FAULT_OPEN_FAIL) {
				teardown(&f, RELID_ECHO, c.handle);
				chan_free(&c);
			} else {
				chan_close(&c);
			}
		}
		fx_finish(&f);
		fx_destroy(&f);
	}
}

TEST(sim_fault_bad_tid_then_rescind_during_io)
{
	struct fx f;
	struct chan c;
	struct ring_pkt p;
	struct vmbus_msg_relid m;

	go(&f, "echo", HVSIM_FAULT_RING_BAD_TID | HVSIM_FAULT_RESCIND_DURING_IO);
	chan_open(&f, &c, RELID_ECHO, 2, 2);
	chan_send(&c, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 8, "x", 1);
	chan_recv(&c, &p);
	CHECK_EQ(p.trans_id, 8 + 0x10000); /* the bogus one first */
	chan_recv(&c, &p);
	CHECK_EQ(p.trans_id, 8);
	chan_send(&c, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 9, "y", 1);
	chan_recv(&c, &p);
	CHECK_EQ(p.trans_id, 9); /* only the first completion had a twin */
	chan_send(&c, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 10, "z", 1);
	expect_msg(&f, VMBUS_MSG_RESCIND_CHANNELOFFER, &m, sizeof(m));
	CHECK_EQ(ring_read(&c.in, c.rx, sizeof(c.rx), &p), 0); /* never answered */
	/* the GPADL may be torn down before RELID_RELEASED too */
	m.hdr.msgtype = VMBUS_MSG_CLOSECHANNEL;
	post(&f, &m, sizeof(m));
	teardown(&f, RELID_ECHO, c.handle);
	m.hdr.msgtype = VMBUS_MSG_RELID_RELEASED;
	post(&f, &m, sizeof(m));
	chan_free(&c);
	fx_finish(&f);
	fx_destroy(&f);
}

/* Ring faults: the guest's ring layer must notice each one. */
TEST(sim_fault_rings)
{
	static const struct {
		uint32_t fault;
		const char *log;
	} cases[] = {
		{ HVSIM_FAULT_RING_BAD_WRITE_INDEX, "the peer's write index 36 is not an 8-byte" },
		{ HVSIM_FAULT_RING_BAD_READ_INDEX, "the peer's read index 4104 is not an 8-byte" },
		{ HVSIM_FAULT_RING_OVERSIZED, "a 4096-byte packet claims more than the 32 bytes" },
		{ HVSIM_FAULT_RING_BAD_TYPE, "packet type 3 is not one this ring carries" },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx f;
		struct chan c;
		struct ring_pkt p;
		uint64_t deadline;
		int rc = 0;
		bool sig;

		go(&f, "echo", cases[i].fault);
		chan_open(&f, &c, RELID_ECHO, 2, 2);
		chan_send(&c, 0, 0, "idx", 3);
		deadline = hv_time(&f.hv) + WAIT_TICKS;
		while (rc == 0 && hv_time(&f.hv) < deadline) {
			rc = ring_read(&c.in, c.rx, sizeof(c.rx), &p);
			if (rc == 1) /* answered: the next write finds the bad read index */
				rc = ring_write_inband(&c.out, VMBUS_PKT_DATA_INBAND, 0, 0, "x", 1, &sig);
			hv_idle(f.seam);
		}
		CHECK_EQ(rc, -EPIPE);
		CHECK_MSG(log_has(cases[i].log), "log lacks '%s'", cases[i].log);
		chan_close(&c);
		fx_finish(&f);
		fx_destroy(&f);
	}
}
