/* Channels, GPADLs and rings from the guest's side, against hvsim's echo
 * device and its channel faults. */
#include <errno.h>
#include <string.h>

#include "../boot/echo.h"
#include "../vmbus/channel.h"
#include "fixture.h"

static void start_echo(struct fx *f, uint32_t faults)
{
	fx_config(f);
	f->cfg.devices = "storvsc,echo";
	f->cfg.faults = faults;
	fx_start(f);
	fx_connect(f);
}

static uint32_t echo_relid(struct fx *f)
{
	struct vmbus_offer *o = echo_find(&f->vb);

	CHECK(o != NULL);
	return o->relid;
}

static void chan_stats(struct fx *f, struct hvsim_channel_stats *st)
{
	CHECK_EQ(hvsim_channel_stats(f->sim, echo_relid(f), st), 0);
}

/* shutdown (close, teardown, unload), hv teardown, clean audit */
static void finish_all(struct fx *f)
{
	char audit[512];

	CHECK_EQ(vmbus_shutdown(&f->vb), 0);
	hv_teardown(&f->hv);
	fx_no_violations(f);
	CHECK_MSG(hvsim_audit(f->sim, true, audit, sizeof(audit)), "%s", audit);
	fx_destroy(f);
}

/* --- GPADLs ------------------------------------------------------------- */

static void gpadl_roundtrip(struct fx *f, uint32_t pages)
{
	struct vmbus_gpadl g;
	uint64_t gpa;
	void *buf = f->seam->alloc(f->seam, pages, &gpa);
	unsigned bodies_before = count_substr(fx_trace(f), "GPADL_BODY");
	unsigned want_bodies = pages > 26 ? (pages - 26 + 27) / 28 : 0;

	CHECK(buf != NULL);
	CHECK_EQ(vmbus_gpadl_create(&f->vb, &g, echo_relid(f), gpa, pages), 0);
	CHECK_EQ(g.state, GPADL_READY);
	CHECK_EQ(count_substr(fx_trace(f), "GPADL_BODY") - bodies_before, want_bodies);
	CHECK_EQ(vmbus_gpadl_teardown(&f->vb, &g), 0);
	CHECK_EQ(g.state, GPADL_IDLE);
	f->seam->free(f->seam, buf, pages);
}

TEST(gpadl_sizes_with_body_messages)
{
	struct fx f;
	struct hvsim_stats st;

	fx_config(&f);
	f.cfg.devices = "echo";
	f.cfg.mem_mib = 96;
	fx_start(&f);
	fx_connect(&f);
	gpadl_roundtrip(&f, 1);
	gpadl_roundtrip(&f, 26);
	gpadl_roundtrip(&f, 27);   /* header + one body */
	gpadl_roundtrip(&f, 1000); /* 35 bodies */
	gpadl_roundtrip(&f, VMBUS_GPADL_MAX_PAGES);
	hvsim_get_stats(f.sim, &st);
	CHECK_EQ(st.gpadls_created, 5);
	CHECK_EQ(st.gpadls_torn_down, 5);
	finish_all(&f);
}

TEST(gpadl_beyond_the_wire_limit_is_refused)
{
	struct fx f;
	struct vmbus_gpadl g;
	uint64_t gpa;
	void *buf;

	fx_config(&f);
	f.cfg.devices = "echo";
	f.cfg.mem_mib = 96;
	fx_start(&f);
	fx_connect(&f);
	buf = f.seam->alloc(f.seam, 10000, &gpa);
	CHECK(buf != NULL);
	/* range_buflen is 16 bits: 10000 pages cannot be one GPADL */
	CHECK_EQ(vmbus_gpadl_create(&f.vb, &g, echo_relid(&f), gpa, 10000), -E2BIG);
	CHECK(log_has("a GPADL of 10000 pages"));
	CHECK_EQ(count_substr(fx_trace(&f), "GPADL_HEADER"), 0); /* nothing sent */
	f.seam->free(f.seam, buf, 10000);
	finish_all(&f);
}

TEST(gpadl_host_limit_gives_failure_status)
{
	struct fx f;
	struct vmbus_gpadl g;
	uint64_t gpa;

	fx_config(&f);
	f.cfg.devices = "echo";
	f.cfg.gpadl_max_pages = 100; /* a host with a smaller limit */
	fx_start(&f);
	fx_connect(&f);
	CHECK(f.seam->alloc(f.seam, 200, &gpa) != NULL);
	CHECK_EQ(vmbus_gpadl_create(&f.vb, &g, echo_relid(&f), gpa, 200), -EIO);
	CHECK(log_has("the host refused GPADL"));
	CHECK_EQ(vmbus_gpadl_create(&f.vb, &g, echo_relid(&f), gpa, 100), 0);
	finish_all(&f); /* shutdown tears the second one down */
}

TEST(gpadl_created_with_bad_status)
{
	struct fx f;
	struct vmbus_gpadl g;
	uint64_t gpa;

	start_echo(&f, HVSIM_FAULT_GPADL_BAD_STATUS);
	CHECK(f.seam->alloc(f.seam, 4, &gpa) != NULL);
	CHECK_EQ(vmbus_gpadl_create(&f.vb, &g, echo_relid(&f), gpa, 4), -EIO);
	CHECK(log_has("refused GPADL 0xe1e10 (4 pages) with status 0xc0000001"));
	CHECK_EQ(vmbus_gpadl_create(&f.vb, &g, echo_relid(&f), gpa, 4), 0); /* only the first */
	CHECK_EQ(vmbus_gpadl_teardown(&f.vb, &g), 0);
	finish_all(&f);
}

TEST(gpadl_created_never_comes)
{
	struct fx f;
	struct vmbus_gpadl g;
	uint64_t gpa;

	start_echo(&f, HVSIM_FAULT_GPADL_DROP);
	CHECK(f.seam->alloc(f.seam, 4, &gpa) != NULL);
	CHECK_EQ(vmbus_gpadl_create(&f.vb, &g, echo_relid(&f), gpa, 4), -ETIMEDOUT);
	CHECK(log_has("no GPADL_CREATED for GPADL 0xe1e10 within 5000 ms"));
	/* UNLOAD releases what the host kept; the audit names it */
	CHECK_EQ(vmbus_shutdown(&f.vb), 0);
	hv_teardown(&f.hv);
	fx_no_violations(&f);
	fx_destroy(&f);
}

TEST(gpadl_created_late_is_fine)
{
	struct fx f;
	struct echo_client ec;

	start_echo(&f, HVSIM_FAULT_GPADL_DELAY);
	CHECK_EQ(echo_open(&ec, &f.vb, 16384), 0);
	CHECK_EQ(echo_exercise(&ec, 10, 100, 3), 0);
	finish_all(&f);
}

/* --- open / close / rescind -------------------------------------------- */

TEST(channel_open_close_many_times)
{
	struct fx f;
	struct echo_client ec;
	struct hvsim_stats st;

	start_echo(&f, 0);
	for (int i = 0; i < 50; i++) {
		CHECK_EQ(echo_open(&ec, &f.vb, 8192), 0);
		CHECK_EQ(echo_exercise(&ec, 3, 64, (uint64_t)i + 1), 0);
		CHECK_EQ(vmbus_channel_close(&ec.ch), 0);
		CHECK_EQ(ec.ch.state, CHANNEL_CLOSED);
	}
	hvsim_get_stats(f.sim, &st);
	CHECK_EQ(st.opens, 50);
	CHECK_EQ(st.closes, 50);
	CHECK_EQ(st.gpadls_created, st.gpadls_torn_down);
	finish_all(&f);
}

TEST(channel_open_refused)
{
	struct fx f;
	struct echo_client ec;
	struct hvsim_stats st;

	start_echo(&f, HVSIM_FAULT_OPEN_FAIL);
	CHECK_EQ(echo_open(&ec, &f.vb, 8192), -EIO);
	CHECK(log_has("the host refused to open the channel (status 0xc0000001)"));
	/* the ring GPADL was taken back */
	for (int i = 0; i < 100; i++)
		vmbus_loop_once(&f.vb), hv_idle(f.seam);
	hvsim_get_stats(f.sim, &st);
	CHECK_EQ(st.gpadls_torn_down, 1);
	finish_all(&f);
}

TEST(channel_open_result_never_comes)
{
	struct fx f;
	struct echo_client ec;

	start_echo(&f, HVSIM_FAULT_OPEN_DROP);
	CHECK_EQ(echo_open(&ec, &f.vb, 8192), -ETIMEDOUT);
	CHECK(log_has("no OPENCHANNEL_RESULT within 5000 ms"));
	CHECK(strstr(fx_trace(&f), "CLOSECHANNEL"));
	finish_all(&f);
}

TEST(channel_open_result_late_is_fine)
{
	struct fx f;
	struct echo_client ec;

	start_echo(&f, HVSIM_FAULT_OPEN_DELAY);
	CHECK_EQ(echo_open(&ec, &f.vb, 8192), 0);
	CHECK_EQ(echo_exercise(&ec, 5, 64, 9), 0);
	finish_all(&f);
}

TEST(rescind_during_open)
{
	struct fx f;
	struct echo_client ec;
	struct hvsim_channel_stats st;

	start_echo(&f, HVSIM_FAULT_RESCIND_DURING_OPEN);
	CHECK_EQ(echo_open(&ec, &f.vb, 8192), -ENODEV);
	CHECK(log_has("rescinded by the host"));
	for (int i = 0; i < 10; i++)
		hv_idle(f.seam); /* let the host read RELID_RELEASED */
	CHECK_EQ(hvsim_channel_stats(f.sim, ec.ch.relid, &st), 0);
	CHECK(st.rescinded && st.released && !st.open);
	CHECK(echo_find(&f.vb) == NULL);
	finish_all(&f);
}

TEST(rescind_during_io)
{
	struct fx f;
	struct echo_client ec;
	struct hvsim_channel_stats st;
	uint8_t data[32] = { 1, 2, 3 };

	start_echo(&f, HVSIM_FAULT_RESCIND_DURING_IO);
	CHECK_EQ(echo_open(&ec, &f.vb, 8192), 0);
	CHECK_EQ(echo_roundtrip(&ec, data, sizeof(data)), 0);
	CHECK_EQ(echo_roundtrip(&ec, data, sizeof(data)), 0);
	CHECK_EQ(echo_roundtrip(&ec, data, sizeof(data)), -ENODEV); /* the 3rd is rescinded */
	CHECK_EQ(ec.ch.state, CHANNEL_RESCINDED);
	CHECK_EQ(vmbus_send_inband(&ec.ch, data, 8, 0), -ENODEV);
	CHECK_EQ(vmbus_channel_close(&ec.ch), 0);
	for (int i = 0; i < 10; i++)
		hv_idle(f.seam);
	CHECK_EQ(hvsim_channel_stats(f.sim, ec.ch.relid, &st), 0);
	CHECK(st.released);
	finish_all(&f);
}

TEST(rescind_while_closed)
{
	struct fx f;
	struct hvsim_channel_stats st;
	uint32_t relid;

	start_echo(&f, 0);
	relid = echo_relid(&f);
	hvsim_rescind(f.sim, relid);
	for (int i = 0; i < 20; i++)
		if (!vmbus_loop_once(&f.vb))
			hv_idle(f.seam);
	CHECK(vmbus_find_offer(&f.vb, relid)->rescinded);
	CHECK_EQ(hvsim_channel_stats(f.sim, relid, &st), 0);
	CHECK(st.released);
	CHECK(strstr(fx_trace(&f), "RELID_RELEASED"));
	finish_all(&f);
}

/* --- a hostile ring ------------------------------------------------------ */

static void ring_fault(uint32_t fault, const char *needle)
{
	struct fx f;
	struct echo_client ec;
	uint8_t data[40] = { 9 };

	start_echo(&f, fault);
	CHECK_EQ(echo_open(&ec, &f.vb, 8192), 0);
	CHECK_EQ(echo_roundtrip(&ec, data, sizeof(data)), -EPIPE);
	CHECK_MSG(log_has(needle), "log lacks '%s'", needle);
	CHECK_EQ(ec.ch.state, CHANNEL_BROKEN);
	/* no spin, no second log line, and the channel can still be closed */
	CHECK_EQ(vmbus_send_inband(&ec.ch, data, 8, 0), -EPIPE);
	for (int i = 0; i < 50; i++)
		vmbus_loop_once(&f.vb);
	CHECK_EQ(count_substr(fx_trace(&f), "violation"), 0);
	finish_all(&f);
}

TEST(hostile_ring_write_index_unaligned)
{
	ring_fault(HVSIM_FAULT_RING_BAD_WRITE_INDEX, "write index");
}

TEST(hostile_ring_read_index_beyond_ring)
{
	struct fx f;
	struct echo_client ec;
	uint8_t data[40] = { 9 };

	start_echo(&f, HVSIM_FAULT_RING_BAD_READ_INDEX);
	CHECK_EQ(echo_open(&ec, &f.vb, 8192), 0);
	/* the first round trip works; the host then publishes a bad read index */
	CHECK_EQ(echo_roundtrip(&ec, data, sizeof(data)), 0);
	CHECK_EQ(echo_roundtrip(&ec, data, sizeof(data)), -EPIPE);
	CHECK(log_has("read index"));
	CHECK_EQ(ec.ch.state, CHANNEL_BROKEN);
	finish_all(&f);
}

TEST(hostile_ring_oversized_packet)
{
	ring_fault(HVSIM_FAULT_RING_OVERSIZED, "claims more than the");
}

TEST(hostile_ring_bad_packet_type)
{
	ring_fault(HVSIM_FAULT_RING_BAD_TYPE, "packet type 3 is not one this ring carries");
}

TEST(hostile_ring_unknown_completion_id)
{
	struct fx f;
	struct echo_client ec;
	uint8_t data[24] = { 5 };

	start_echo(&f, HVSIM_FAULT_RING_BAD_TID);
	CHECK_EQ(echo_open(&ec, &f.vb, 8192), 0);
	CHECK_EQ(echo_roundtrip(&ec, data, sizeof(data)), 0); /* the real one still completes */
	CHECK(log_has("which is not outstanding"));
	CHECK_EQ(ec.ch.stale_completions, 1);
	CHECK_EQ(ec.ch.state, CHANNEL_OPEN);
	CHECK_EQ(echo_exercise(&ec, 20, 200, 5), 0);
	finish_all(&f);
}

/* --- ring behaviour and signalling ------------------------------------- */

static int sink(struct echo_client *ec, uint32_t len)
{
	uint8_t buf[4096] = { 0 };
	uint32_t magic = ECHO_SINK_MAGIC;

	memcpy(buf, &magic, 4);
	return vmbus_send_inband(&ec->ch, buf, len, 0);
}

TEST(ring_wraps_around_many_times)
{
	struct fx f;
	struct echo_client ec;

	start_echo(&f, 0);
	CHECK_EQ(echo_open(&ec, &f.vb, 4096), 0); /* one data page each way */
	CHECK_EQ(echo_exercise(&ec, 2000, 500, 11), 0);
	finish_all(&f);
}

TEST(ring_signals_only_on_empty_to_non_empty)
{
	struct fx f;
	struct echo_client ec;
	struct hvsim_channel_stats st;

	start_echo(&f, 0);
	CHECK_EQ(echo_open(&ec, &f.vb, 65536), 0);
	/* a burst the host does not see until we idle: one signal */
	for (int i = 0; i < 20; i++)
		CHECK_EQ(sink(&ec, 256), 0);
	CHECK_EQ(ec.ch.signals, 1);
	for (int i = 0; i < 20; i++)
		hv_idle(f.seam);
	chan_stats(&f, &st);
	CHECK_EQ(st.packets_in, 20);
	/* the ring is empty again: the next burst signals once more */
	for (int i = 0; i < 20; i++)
		CHECK_EQ(sink(&ec, 256), 0);
	CHECK_EQ(ec.ch.signals, 2);
	for (int i = 0; i < 20; i++)
		hv_idle(f.seam);
	chan_stats(&f, &st);
	CHECK_EQ(st.guest_signals, 2);
	CHECK_EQ(st.spurious_signals, 0);
	CHECK_EQ(st.packets_in, 40);
	finish_all(&f);
}

TEST(ring_full_then_pending_send_size)
{
	struct fx f;
	struct echo_client ec;
	struct hvsim_channel_stats st;
	int n = 0, rc;

	start_echo(&f, 0);
	CHECK_EQ(echo_open(&ec, &f.vb, 8192), 0);
	/* fill it without letting the host run */
	while ((rc = sink(&ec, 1000)) == 0)
		n++;
	CHECK_EQ(rc, -EAGAIN);
	CHECK(n >= 6 && n <= 8); /* 8 KiB of 1024+8-byte packets, never completely full */
	CHECK(ec.ch.out.hdr->pending_send_sz > 0);
	CHECK(ring_free_bytes(&ec.ch.out) > 0);
	/* the host drains it and, because we asked, signals us */
	for (int i = 0; i < 20; i++)
		if (!vmbus_loop_once(&f.vb))
			hv_idle(f.seam);
	chan_stats(&f, &st);
	CHECK(st.host_signals >= 1);
	CHECK_EQ(sink(&ec, 1000), 0);
	CHECK_EQ(ec.ch.out.hdr->pending_send_sz, 0); /* cleared once it fits */
	CHECK_EQ(st.spurious_signals, 0);
	finish_all(&f);
}

TEST(ring_no_signal_when_host_masks_interrupts)
{
	struct fx f;
	struct echo_client ec;
	struct hvsim_channel_stats st;

	fx_config(&f);
	f.cfg.devices = "echo";
	f.cfg.host_polls = true; /* host sets interrupt_mask on its inbound ring */
	fx_start(&f);
	fx_connect(&f);
	CHECK_EQ(echo_open(&ec, &f.vb, 16384), 0);
	CHECK_EQ(echo_exercise(&ec, 100, 300, 2), 0);
	chan_stats(&f, &st);
	CHECK_EQ(ec.ch.signals, 0);
	CHECK_EQ(st.guest_signals, 0);
	CHECK(st.packets_in >= 100);
	finish_all(&f);
}

TEST(ring_host_without_pending_send_feature)
{
	struct fx f;
	struct echo_client ec;

	fx_config(&f);
	f.cfg.devices = "echo";
	f.cfg.no_pending_send_feature = true;
	fx_start(&f);
	fx_connect(&f);
	CHECK_EQ(echo_open(&ec, &f.vb, 4096), 0);
	CHECK_EQ(echo_exercise(&ec, 300, 500, 4), 0);
	finish_all(&f);
}

TEST(echo_every_vmbus_version)
{
	for (unsigned i = 0; i < vmbus_version_count; i++) {
		struct fx f;
		struct echo_client ec;

		fx_config(&f);
		f.cfg.devices = "heartbeat,echo";
		f.cfg.vmbus_max = vmbus_versions[i].version;
		fx_start(&f);
		fx_connect(&f);
		CHECK_EQ(echo_open(&ec, &f.vb, 8192), 0);
		CHECK_MSG(echo_exercise(&ec, 50, 300, i + 1) == 0, "echo at VMBus %s",
			  vmbus_versions[i].text);
		finish_all(&f);
	}
}

TEST(echo_many_random_packets)
{
	struct fx f;
	struct echo_client ec;

	start_echo(&f, 0);
	CHECK_EQ(echo_open(&ec, &f.vb, 65536), 0);
	CHECK_EQ(echo_exercise(&ec, 5000, 512, 42), 0);
	finish_all(&f);
}

TEST(echo_threaded_host)
{
	struct fx f;
	struct echo_client ec;

	fx_config(&f);
	f.cfg.devices = "echo";
	f.cfg.threaded = true;
	fx_start(&f);
	fx_connect(&f);
	CHECK_EQ(echo_open(&ec, &f.vb, 16384), 0);
	CHECK_EQ(echo_exercise(&ec, 2000, 512, 8), 0);
	finish_all(&f);
}

TEST(channel_shutdown_closes_everything)
{
	struct fx f;
	struct echo_client a, b;

	fx_config(&f);
	f.cfg.devices = "echo*2";
	fx_start(&f);
	fx_connect(&f);
	CHECK_EQ(echo_open_offer(&a, &f.vb, echo_find_nth(&f.vb, 0), 8192), 0);
	CHECK_EQ(echo_open_offer(&b, &f.vb, echo_find_nth(&f.vb, 1), 8192), 0);
	CHECK(a.ch.relid != b.ch.relid);
	CHECK_EQ(echo_exercise(&a, 10, 100, 1), 0);
	CHECK_EQ(echo_exercise(&b, 10, 100, 2), 0);
	finish_all(&f); /* vmbus_shutdown closes both, tears down, unloads */
}

static void count_hotplug(struct vmbus *vb, struct vmbus_offer *offer, void *ctx)
{
	(void)vb;
	(void)offer;
	(*(unsigned *)ctx)++;
}

TEST(hotplug_offer_after_all_offers)
{
	struct fx f;
	struct echo_client ec;
	unsigned seen = 0;
	int relid;

	fx_config(&f);
	f.cfg.devices = "storvsc";
	fx_start(&f);
	fx_connect(&f);
	CHECK(echo_find(&f.vb) == NULL);
	f.vb.on_hotplug = count_hotplug;
	f.vb.hotplug_ctx = &seen;
	relid = hvsim_hotplug(f.sim, "echo");
	CHECK(relid > 1);
	for (int i = 0; i < 10; i++)
		if (!vmbus_loop_once(&f.vb))
			hv_idle(f.seam);
	CHECK_EQ(seen, 1);
	CHECK(log_has("offered after the initial offers (hot plug)"));
	CHECK(echo_find(&f.vb) != NULL);
	CHECK_EQ(echo_open(&ec, &f.vb, 8192), 0);
	CHECK_EQ(echo_exercise(&ec, 20, 100, 6), 0);
	finish_all(&f);
}
