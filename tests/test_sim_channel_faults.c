/* hvsim's channels when things go away or wrong on the host's side:
 * rescind of an open channel, and the GPADL, open and ring faults
 * (hvsim_fault), driven by raw channel messages (simchan_util.c). */
#include <errno.h>
#include <string.h>

#include "simchan_util.h"

/* --- rescind ------------------------------------------------------------- */

TEST(sim_rescind_open_channel)
{
	struct fx f;
	struct hvsim_channel_stats cs;
	struct vmbus_msg_relid m;
	char audit[512];
	struct chan c;

	sc_go(&f, "echo,storvsc", 0);
	chan_open(&f, &c, RELID_ECHO, 2, 2);
	hvsim_rescind(f.sim, RELID_ECHO);
	sc_expect_msg(&f, VMBUS_MSG_RESCIND_CHANNELOFFER, &m, sizeof(m));
	CHECK_EQ(m.child_relid, RELID_ECHO);
	CHECK(!hvsim_audit(f.sim, false, audit, sizeof(audit)));
	CHECK_MSG(strstr(audit, "relid 1 rescinded but never released"), "%s", audit);
	/* close, no GPADL_TEARDOWN (as Linux), then release */
	m.hdr.msgtype = VMBUS_MSG_CLOSECHANNEL;
	sc_post(&f, &m, sizeof(m));
	m.hdr.msgtype = VMBUS_MSG_RELID_RELEASED;
	sc_post(&f, &m, sizeof(m));
	sc_expect_silence(&f, HV_TICKS_PER_SEC / 100);
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

		sc_go(&f, "echo", fault);
		pfns = sc_pages(&f, 1, &mem);
		t0 = hv_time(&f.hv);
		sc_send_gpadl(&f, RELID_ECHO, 5, pfns, 1);
		if (fault == HVSIM_FAULT_GPADL_DROP)
			sc_expect_silence(&f, HV_TICKS_PER_SEC / 2);
		else
			CHECK_EQ(sc_gpadl_status(&f, RELID_ECHO, 5),
				 fault == HVSIM_FAULT_GPADL_BAD_STATUS ? 0xC0000001u : 0);
		CHECK_EQ(hv_time(&f.hv) - t0 >= 100 * HV_TICKS_PER_MS,
			 fault == HVSIM_FAULT_GPADL_DELAY || fault == HVSIM_FAULT_GPADL_DROP);
		if (fault != HVSIM_FAULT_GPADL_BAD_STATUS)
			sc_teardown(&f, RELID_ECHO, 5); /* answered even if never created */
		f.seam->free(f.seam, mem, 1);
		free(pfns);
		if (fault == HVSIM_FAULT_OPEN_DROP || fault == HVSIM_FAULT_RESCIND_DURING_OPEN) {
			pfns = sc_pages(&f, 4, &mem);
			sc_send_gpadl(&f, RELID_ECHO, 6, pfns, 4);
			CHECK_EQ(sc_gpadl_status(&f, RELID_ECHO, 6), 0);
			sc_open_post(&f, RELID_ECHO, 6, 2);
			if (fault == HVSIM_FAULT_OPEN_DROP) {
				sc_expect_silence(&f, HV_TICKS_PER_SEC / 2);
				CHECK(!hvsim_audit(f.sim, false, audit, sizeof(audit)));
				CHECK_MSG(strstr(audit, "1 channel(s) opening"), "%s", audit);
				sc_post(&f, &m, sizeof(m)); /* CLOSECHANNEL ends it */
				sc_teardown(&f, RELID_ECHO, 6);
			} else {
				/* rescinded before it opened: no CLOSECHANNEL owed */
				sc_expect_msg(&f, VMBUS_MSG_RESCIND_CHANNELOFFER, &m, sizeof(m));
				m.hdr.msgtype = VMBUS_MSG_RELID_RELEASED;
				sc_post(&f, &m, sizeof(m));
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
				sc_teardown(&f, RELID_ECHO, c.handle);
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

	sc_go(&f, "echo", HVSIM_FAULT_RING_BAD_TID | HVSIM_FAULT_RESCIND_DURING_IO);
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
	sc_expect_msg(&f, VMBUS_MSG_RESCIND_CHANNELOFFER, &m, sizeof(m));
	CHECK_EQ(ring_read(&c.in, c.rx, sizeof(c.rx), &p), 0); /* never answered */
	/* the GPADL may be torn down before RELID_RELEASED too */
	m.hdr.msgtype = VMBUS_MSG_CLOSECHANNEL;
	sc_post(&f, &m, sizeof(m));
	sc_teardown(&f, RELID_ECHO, c.handle);
	m.hdr.msgtype = VMBUS_MSG_RELID_RELEASED;
	sc_post(&f, &m, sizeof(m));
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

		sc_go(&f, "echo", cases[i].fault);
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
