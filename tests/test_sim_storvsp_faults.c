/* hvsim's storage VSP misbehaving on purpose: every storvsp fault
 * (hvsim_storvsp_fault), as the guest sees it through hand-built
 * vstor_packets (storvsp_util.c). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "storvsp_util.h"

/* --- faults ---------------------------------------------------------------- */

TEST(storvsp_fault_unit_attention)
{
	uint8_t tur[6] = { SCSI_TEST_UNIT_READY }, inq[6] = { SCSI_INQUIRY, 0, 0, 0, 36, 0 };
	struct vsc c;

	sp_ready(&c, 2, HVSIM_STORVSP_UNIT_ATTENTION);
	sp_check_good(sp_scsi(&c, 0, inq, 6, VSTOR_DATA_IN, 0, 36), 36); /* not a media access */
	sp_check_sense(sp_scsi(&c, 0, tur, 6, VSTOR_DATA_NONE, 0, 0), 0x84, SENSE_UNIT_ATTENTION,
		       ASC_POWER_ON_RESET);
	sp_check_good(sp_scsi(&c, 0, tur, 6, VSTOR_DATA_NONE, 0, 0), 0);
	sp_check_sense(sp_read10(&c, 1, 5, 2, 0), 0x84, SENSE_UNIT_ATTENTION, ASC_POWER_ON_RESET);
	CHECK(sp_untouched(&c, 0, 1024));
	sp_check_good(sp_read10(&c, 1, 5, 2, 0), 1024);
	CHECK(sp_blocks_match(&c, 1, 5, 2, 0));
	sp_finish(&c);
}

TEST(storvsp_fault_busy)
{
	uint8_t cdb[10];
	struct vsc c;

	sp_ready(&c, 1, HVSIM_STORVSP_BUSY);
	for (int i = 0; i < 3; i++) {
		sp_check_srb(sp_read10(&c, 0, 0, 4, 0), NT_STATUS_DEVICE_BUSY, SRB_STATUS_BUSY,
			     SCSI_STATUS_BUSY, 0);
		CHECK(sp_untouched(&c, 0, 2048));
	}
	sp_check_good(sp_read10(&c, 0, 0, 4, 0), 2048);
	CHECK(sp_blocks_match(&c, 0, 0, 4, 0));
	sp_rw10(cdb, SCSI_WRITE_10, 0, 1); /* busy no longer: read-only answers */
	sp_check_sense(sp_scsi(&c, 0, cdb, 10, VSTOR_DATA_OUT, 0, 512), 0x84, SENSE_DATA_PROTECT,
		       ASC_WRITE_PROTECTED);
	sp_finish(&c);
}

TEST(storvsp_fault_medium_error)
{
	const struct vstor_packet *p;
	struct vsc c;

	sp_config(&c, 1);
	c.f.cfg.storvsp_faults = HVSIM_STORVSP_MEDIUM_ERROR;
	c.f.cfg.medium_error_lba = 50;
	sp_go(&c);
	for (int i = 0; i < 2; i++) { /* every time */
		p = sp_read10(&c, 0, 40, 20, 0);
		sp_check_sense(p, 0x84, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR);
		CHECK_EQ(p->srb.sense_data[0], SENSE_INFO_VALID | SENSE_FIXED_CURRENT);
		CHECK(p->srb.sense_data[3] == 0 && p->srb.sense_data[5] == 0 &&
		      p->srb.sense_data[6] == 50);
		CHECK(sp_untouched(&c, 0, 20 * 512));
	}
	sp_check_sense(sp_read10(&c, 0, 50, 1, 0), 0x84, SENSE_MEDIUM_ERROR,
		       ASC_UNRECOVERED_READ_ERROR);
	sp_check_good(sp_read10(&c, 0, 51, 8, 0), 4096);
	sp_check_good(sp_read10(&c, 0, 42, 8, 0), 4096);
	sp_finish(&c);
}

TEST(storvsp_fault_short_transfer)
{
	struct vsc c;

	sp_ready(&c, 1, HVSIM_STORVSP_SHORT_TRANSFER);
	sp_check_srb(sp_read10(&c, 0, 8, 8, 0), NT_STATUS_BUFFER_OVERFLOW, SRB_STATUS_DATA_OVERRUN,
		     SCSI_STATUS_GOOD, 2048);
	CHECK(sp_blocks_match(&c, 0, 8, 4, 0) && sp_untouched(&c, 2048, 4096));
	CHECK_EQ(sp_read10(&c, 0, 8, 3, 0)->srb.data_transfer_length, 512); /* rounded down */
	sp_check_good(sp_read10(&c, 0, 8, 1, 0), 512);                          /* one block: all */
	CHECK_EQ(sp_stats(&c).bytes_read, 3072);
	sp_finish(&c);
}

TEST(storvsp_fault_delay)
{
	uint64_t t0;
	struct vsc c;

	sp_ready(&c, 1, HVSIM_STORVSP_DELAY);
	t0 = hv_time(&c.f.hv);
	sp_check_good(sp_read10(&c, 0, 0, 2, 0), 1024);
	CHECK(hv_time(&c.f.hv) - t0 >= 5 * HV_TICKS_PER_MS);
	CHECK(hv_time(&c.f.hv) - t0 < 20 * HV_TICKS_PER_MS);
	t0 = hv_time(&c.f.hv);
	CHECK_EQ(sp_op(&c, VSTOR_OP_RESET_BUS, 0)->status, 0); /* not an I/O: not late */
	CHECK(hv_time(&c.f.hv) - t0 < HV_TICKS_PER_MS);
	sp_finish(&c);
}

TEST(storvsp_fault_reorder)
{
	uint64_t tids[4], t0;
	struct vsc c;

	sp_ready(&c, 1, HVSIM_STORVSP_REORDER);
	sp_read_burst(&c, 0, 4, 1, tids);
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ(c.order[i], tids[3 - i]);
	CHECK(sp_stats(&c).max_in_flight >= 4);
	t0 = hv_time(&c.f.hv);
	sp_check_good(sp_read10(&c, 0, 0, 1, 0), 512); /* alone: held for 1 ms */
	CHECK(hv_time(&c.f.hv) - t0 >= HV_TICKS_PER_MS);
	sp_finish(&c);
}

TEST(storvsp_max_in_flight)
{
	uint64_t tids[8];
	struct vsc c;

	sp_ready(&c, 1, 0);
	sp_check_good(sp_read10(&c, 0, 0, 1, 0), 512);
	CHECK_EQ(sp_stats(&c).max_in_flight, 1);
	sp_read_burst(&c, 0, 8, 1, tids);
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(c.order[i], tids[i]);
	CHECK_EQ(sp_stats(&c).max_in_flight, 8);
	sp_finish(&c);
}

TEST(storvsp_fault_bogus_tid)
{
	char needle[64];
	uint64_t tid;
	struct vsc c;

	sp_ready(&c, 1, HVSIM_STORVSP_BOGUS_TID);
	tid = sp_send_read(&c, 0, 1, 0);
	sp_wait_done(&c);
	sp_check_good(sp_checked(&c), 512);
	snprintf(needle, sizeof(needle), "type=11 flags=0 tid=%llu ",
		 (unsigned long long)(tid + 0x10000));
	CHECK(strstr(fx_trace(&c.f), needle));
	CHECK_EQ(c.ch.stale_completions, 1);
	sp_check_good(sp_read10(&c, 0, 0, 1, 0), 512);
	CHECK_EQ(c.ch.stale_completions, 1); /* only the first */
	sp_finish(&c);
}

TEST(storvsp_fault_no_enumerate)
{
	struct vsc c;

	sp_ready(&c, 1, HVSIM_STORVSP_NO_ENUMERATE);
	sp_run_for(&c, 10 * HV_TICKS_PER_MS);
	CHECK_EQ(c.enumerates, 0);
	sp_finish(&c);
}

/* The host sends only the 40-byte completion: a guest that drops it (it
 * is shorter than any vstor_packet) sees that request time out. */
TEST(storvsp_fault_bad_completion_size)
{
	struct vsc c;

	sp_ready(&c, 1, HVSIM_STORVSP_BAD_COMPLETION_SIZE);
	sp_send_read(&c, 0, 1, 0);
	sp_wait_done(&c);
	CHECK_EQ(c.len, 40);
	sp_run_for(&c, 10 * HV_TICKS_PER_MS);
	CHECK_EQ(c.ch.stale_completions, 0); /* nothing else came for it */
	sp_check_good(sp_read10(&c, 0, 0, 1, 0), 512); /* the next one is whole */
	sp_finish(&c);
}

TEST(storvsp_fault_overlong_transfer)
{
	struct vsc c;

	sp_ready(&c, 1, HVSIM_STORVSP_OVERLONG_TRANSFER);
	sp_check_good(sp_read10(&c, 0, 0, 4, 0), 2048 + 512); /* more than asked */
	sp_check_good(sp_read10(&c, 0, 0, 4, 0), 2048);
	sp_finish(&c);
}
