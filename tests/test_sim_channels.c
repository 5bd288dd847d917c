/* hvsim's host side of VMBus channels, driven directly (simchan_util.c):
 * open/close, the echo device inband and GPA-direct, signalling both ways
 * (and the interrupt page of old versions), a polling host, flow control,
 * threaded mode and the open's checks. GPADLs are in test_sim_gpadl.c,
 * rescind and host faults in test_sim_channel_faults.c. */
#include <errno.h>
#include <string.h>

#include "simchan_util.h"

/* --- channels ------------------------------------------------------------ */

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
	CHECK(!sc_sief_bit(f, RELID_ECHO));

	chan_send(&c, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 42, hello, sizeof(hello));
	chan_recv(&c, &p);
	CHECK_EQ(p.type, VMBUS_PKT_COMP);
	CHECK_EQ(p.trans_id, 42);
	CHECK_EQ(p.flags, 0);
	CHECK_EQ(p.len - p.offset, 16);
	CHECK(memcmp(p.data + p.offset, hello, sizeof(hello)) == 0);
	if (f->vb.version >= VMBUS_VERSION_WIN8) {
		CHECK(sc_sief_bit(f, RELID_ECHO)); /* the host signalled: SIEF bit relid */
	} else {
		CHECK(sc_sief_bit(f, 0)); /* bit 0, and bit relid in the receive half */
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

	sc_go(&f, "echo", 0);
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
	sc_start(&f, "echo", 0);
	f.cfg.vmbus_max = VMBUS_VERSION_WIN7;
	sc_bring_up(&f);
	echo_inband(&f);
	fx_finish(&f);
	fx_destroy(&f);

	sc_start(&f, "echo", 0);
	f.cfg.vmbus_max = VMBUS_VERSION_WS2008;
	sc_bring_up(&f);
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
		CHECK(sc_sief_bit(&f, 0));
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

	sc_go(&f, "echo", 0);
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

		sc_start(&f, "echo", 0);
		f.cfg.host_polls = true;
		f.cfg.threaded = threaded;
		sc_bring_up(&f);
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

	sc_go(&f, "echo", 0);
	chan_open(&f, &c, RELID_ECHO, 2, 2);
	pfns = sc_pages(&f, 3, &mem);
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

	sc_start(&f, "echo", 0);
	f.cfg.threaded = threaded;
	f.cfg.no_pending_send_feature = no_feature;
	sc_bring_up(&f);
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

	sc_start(&f, "echo", 0);
	f.cfg.threaded = true;
	sc_bring_up(&f);
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
	sc_go(&f, "echo", 0);
	pfns = sc_pages(&f, 4, &mem);
	sc_send_gpadl(&f, RELID_ECHO, 0x55, pfns, 4);
	CHECK_EQ(sc_gpadl_status(&f, RELID_ECHO, 0x55), 0);
	CHECK(sc_open_msg(&f, RELID_ECHO, 0x55, 1) != 0);
	sc_teardown(&f, RELID_ECHO, 0x55);
	f.seam->free(f.seam, mem, 4);
	free(pfns);
	/* a write index the host cannot use: the channel stops being served */
	chan_open(&f, &c, RELID_ECHO, 2, 2);
	c.out.hdr->write_index = 12;
	chan_signal(&c);
	sc_expect_silence(&f, HV_TICKS_PER_SEC / 100);
	CHECK_EQ(hvsim_violation_count(f.sim), 2);
	CHECK(strstr(hvsim_violation(f.sim, 1), "relid 1: the guest->host ring's write_index 12"));
	CHECK_EQ(hvsim_channel_stats(f.sim, RELID_ECHO, &cs), 0);
	CHECK(cs.open && cs.packets_in == 0);
	chan_close(&c);
	sc_finish_with_violations(&f, 2, "downstream_page_offset 1 in a 4-page");
}
