/* hvsim's GPADLs, driven by raw channel messages (simchan_util.c): every
 * size from one page to bodies beyond the port's buffers, the guest's
 * errors, and a GPADL left behind in the audit. */
#include <errno.h>
#include <string.h>

#include "simchan_util.h"

/* --- GPADLs -------------------------------------------------------------- */

static void gpadl_round_trip(struct fx *f, uint32_t n, uint32_t handle)
{
	struct hvsim_channel_stats cs;
	void *mem;
	uint64_t *pfns = sc_pages(f, n, &mem);

	sc_send_gpadl(f, 2, handle, pfns, n);
	CHECK_EQ(sc_gpadl_status(f, 2, handle), 0);
	CHECK_EQ(hvsim_channel_stats(f->sim, 2, &cs), 0);
	CHECK_EQ(cs.gpadls, 1);
	sc_teardown(f, 2, handle);
	CHECK_EQ(hvsim_channel_stats(f->sim, 2, &cs), 0);
	CHECK_EQ(cs.gpadls, 0);
	f->seam->free(f->seam, mem, n);
	free(pfns);
}

TEST(sim_gpadl_sizes)
{
	struct fx f;
	struct hvsim_stats st;

	sc_go(&f, "echo,storvsc", 0);
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

/* A PFN outside guest RAM (in a body: one answer, after the last body, with
 * a failure status), and a handle used twice. */
TEST(sim_gpadl_guest_errors)
{
	struct hvsim_stats st;
	struct fx f;
	void *mem;
	uint64_t *pfns;

	sc_go(&f, "echo", 0);
	pfns = sc_pages(&f, 30, &mem);
	sc_send_gpadl(&f, RELID_ECHO, 9, pfns + 29, 1);
	CHECK_EQ(sc_gpadl_status(&f, RELID_ECHO, 9), 0);
	pfns[28] = 0x10; /* GPA 0x10000: below guest RAM */
	sc_send_gpadl(&f, RELID_ECHO, 7, pfns, 30);
	CHECK(sc_gpadl_status(&f, RELID_ECHO, 7) != 0);
	sc_expect_silence(&f, HV_TICKS_PER_SEC / 10);
	sc_send_gpadl(&f, RELID_ECHO, 9, pfns, 1);
	CHECK(sc_gpadl_status(&f, RELID_ECHO, 9) != 0);
	hvsim_get_stats(f.sim, &st);
	CHECK_EQ(st.gpadls_created, 1);
	sc_teardown(&f, RELID_ECHO, 9); /* the first one is still there */
	CHECK(strstr(hvsim_violation(f.sim, 1), "gpadl 9: that handle is already in use"));
	free(pfns);
	sc_finish_with_violations(&f, 2, "gpadl 7: PFN 28 is 0x10, not a page of guest RAM");
}

TEST(sim_gpadl_left_behind_is_audited)
{
	struct fx f;
	char audit[512];
	void *mem;
	uint64_t *pfns;

	sc_go(&f, "echo", 0);
	pfns = sc_pages(&f, 1, &mem);
	sc_send_gpadl(&f, RELID_ECHO, 3, pfns, 1);
	CHECK_EQ(sc_gpadl_status(&f, RELID_ECHO, 3), 0);
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
