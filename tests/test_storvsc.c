/* storvsc against hvsim's storvsp: every protocol version, discovery, deep
 * zero-copy reads, and every storage fault. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../lib/util.h"
#include "../vsc/storvsc.h"
#include "fixture.h"

#define DISK_MIB 8

/* A disk image whose every 8 bytes hold (lba << 16 | word index). */
static char *make_disk(unsigned mib, uint32_t salt)
{
	static char paths[4][32];
	static unsigned n;
	char *path = paths[n++ % 4];
	uint64_t buf[512 / 8];
	int fd;

	snprintf(path, 32, "/tmp/hvboot-disk-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	for (uint64_t lba = 0; lba < (uint64_t)mib * 2048; lba++) {
		for (unsigned i = 0; i < 64; i++)
			buf[i] = lba << 16 | i | (uint64_t)salt << 48;
		CHECK(write(fd, buf, sizeof(buf)) == sizeof(buf));
	}
	close(fd);
	return path;
}

static bool check_blocks(const void *p, uint64_t lba, uint64_t count, uint32_t salt)
{
	const uint64_t *w = p;

	for (uint64_t b = 0; b < count; b++)
		for (unsigned i = 0; i < 64; i++)
			if (w[b * 64 + i] != ((lba + b) << 16 | i | (uint64_t)salt << 48))
				return false;
	return true;
}

struct sfx {
	struct fx f;
	struct storvsc sc;
	const char *disks[3];
};

static void start(struct sfx *s, uint32_t faults, uint16_t max_version, const struct storvsc_params *p)
{
	struct vmbus_offer *o = NULL;

	if (!s->disks[0])
		s->disks[0] = make_disk(DISK_MIB, 0);
	s->f.cfg.devices = "storvsc";
	s->f.cfg.disks = s->disks;
	s->f.cfg.storvsp_faults = faults;
	s->f.cfg.storvsp_max_version = max_version;
	s->f.cfg.mem_mib = 128;
	fx_start(&s->f);
	fx_connect(&s->f);
	for (unsigned i = 0; i < s->f.vb.noffers; i++)
		if (strcmp(vmbus_class_name(&s->f.vb.offers[i].type), "Synthetic SCSI controller") == 0)
			o = &s->f.vb.offers[i];
	CHECK(o != NULL);
	CHECK_EQ(storvsc_attach(&s->sc, &s->f.vb, o, p), 0);
}

static void finish(struct sfx *s)
{
	char audit[512];

	CHECK_EQ(storvsc_detach(&s->sc), 0);
	CHECK_EQ(vmbus_shutdown(&s->f.vb), 0);
	hv_teardown(&s->f.hv);
	fx_no_violations(&s->f);
	CHECK_MSG(hvsim_audit(s->f.sim, true, audit, sizeof(audit)), "%s", audit);
	fx_destroy(&s->f);
	for (unsigned i = 0; i < 3 && s->disks[i]; i++)
		unlink(s->disks[i]);
}

static void *guest_buf(struct sfx *s, uint64_t bytes, uint64_t *gpa)
{
	void *p = s->f.seam->alloc(s->f.seam, HVB_PAGES(bytes) + 1, gpa);

	CHECK(p != NULL);
	memset((uint8_t *)p + bytes, 0xee, HVB_PAGE_SIZE); /* guard after the data */
	return p;
}

static void guard_intact(const void *p, uint64_t bytes)
{
	const uint8_t *g = (const uint8_t *)p + bytes;

	for (unsigned i = 0; i < HVB_PAGE_SIZE; i++)
		CHECK_MSG(g[i] == 0xee, "guard byte %u after the destination was overwritten", i);
}

TEST(storvsc_every_protocol_version)
{
	static const uint16_t v[] = { 0x0602, 0x0600, 0x0501, 0x0402, 0x0200 };

	for (unsigned i = 0; i < 5; i++) {
		static struct sfx s;
		struct storvsc_lun *l;
		uint64_t gpa;
		void *buf;

		memset(&s, 0, sizeof(s));
		fx_config(&s.f);
		start(&s, 0, v[i], NULL);
		CHECK_EQ(s.sc.version, v[i]);
		CHECK_EQ(s.sc.packet_size, v[i] >= 0x0501 ? 64 : 48);
		CHECK_EQ(s.sc.nluns, 1);
		l = storvsc_lun(&s.sc, 0);
		CHECK(l != NULL);
		CHECK(strcmp(l->vendor, "Msft") == 0);
		CHECK(strcmp(l->product, "Virtual Disk") == 0);
		CHECK_EQ(l->block_size, 512);
		CHECK_EQ(l->blocks, DISK_MIB * 2048);
		buf = guest_buf(&s, 1 << 20, &gpa);
		CHECK_EQ(blkdev_read(&l->dev, 100, 2048, buf), 0);
		CHECK(check_blocks(buf, 100, 2048, 0));
		guard_intact(buf, 1 << 20);
		finish(&s);
	}
}

TEST(storvsc_deep_queue_respects_max_transfer)
{
	static struct sfx s;
	struct storvsc_params p = { .queue_depth = 16 };
	struct hvsim_storvsp_stats st;
	struct storvsc_lun *l;
	uint64_t gpa, bytes = (uint64_t)DISK_MIB << 20;
	void *buf;

	fx_config(&s.f);
	s.f.cfg.storvsp_max_transfer = 64 * 1024;
	start(&s, 0, 0, &p);
	CHECK_EQ(s.sc.max_transfer, 64 * 1024);
	l = storvsc_lun(&s.sc, 0);
	buf = guest_buf(&s, bytes, &gpa);
	CHECK_EQ(blkdev_read(&l->dev, 0, l->blocks, buf), 0);
	CHECK(check_blocks(buf, 0, l->blocks, 0));
	guard_intact(buf, bytes);
	CHECK_EQ(hvsim_storvsp_stats(s.f.sim, &st), 0);
	CHECK(st.reads >= bytes / (64 * 1024));
	CHECK(st.max_in_flight > 1);
	CHECK(st.max_in_flight <= 16);
	CHECK(s.sc.max_inflight > 1);
	finish(&s);
}

TEST(storvsc_queue_depth_one)
{
	static struct sfx s;
	struct storvsc_params p = { .queue_depth = 1 };
	struct hvsim_storvsp_stats st;
	uint64_t gpa;
	void *buf;

	fx_config(&s.f);
	start(&s, 0, 0, &p);
	buf = guest_buf(&s, 4 << 20, &gpa);
	CHECK_EQ(blkdev_read(&storvsc_lun(&s.sc, 0)->dev, 0, 8192, buf), 0);
	CHECK(check_blocks(buf, 0, 8192, 0));
	CHECK_EQ(hvsim_storvsp_stats(s.f.sim, &st), 0);
	CHECK_EQ(st.max_in_flight, 1);
	finish(&s);
}

TEST(storvsc_reads_into_ordinary_memory_bounce)
{
	static struct sfx s;
	static uint8_t buf[64 * 1024];

	fx_config(&s.f);
	start(&s, 0, 0, NULL);
	/* not guest memory: bounced through the controller's buffer */
	CHECK_EQ(blkdev_read(&storvsc_lun(&s.sc, 0)->dev, 7, 128, buf), 0);
	CHECK(check_blocks(buf, 7, 128, 0));
	finish(&s);
}

TEST(storvsc_two_luns)
{
	static struct sfx s;
	uint8_t *buf;
	uint64_t gpa;

	fx_config(&s.f);
	s.disks[0] = make_disk(2, 1);
	s.disks[1] = make_disk(3, 2);
	start(&s, 0, 0, NULL);
	CHECK_EQ(s.sc.nluns, 2);
	CHECK_EQ(storvsc_lun(&s.sc, 1)->blocks, 3 * 2048);
	buf = guest_buf(&s, 4096, &gpa);
	CHECK_EQ(blkdev_read(&storvsc_lun(&s.sc, 1)->dev, 5000, 8, buf), 0);
	CHECK(check_blocks(buf, 5000, 8, 2));
	CHECK_EQ(blkdev_read(&storvsc_lun(&s.sc, 0)->dev, 5, 8, buf), 0);
	CHECK(check_blocks(buf, 5, 8, 1));
	finish(&s);
}

TEST(storvsc_beyond_capacity_is_a_clear_error)
{
	static struct sfx s;
	struct storvsc_cmd cmd = { 0 };
	char why[256];
	uint64_t gpa;

	fx_config(&s.f);
	start(&s, 0, 0, NULL);
	CHECK_EQ(blkdev_read(&storvsc_lun(&s.sc, 0)->dev, DISK_MIB * 2048 - 1, 2,
			     guest_buf(&s, 1024, &gpa)),
		 -ERANGE);
	/* the host checks too */
	cmd.cdb_len = (uint8_t)scsi_cdb_read(cmd.cdb, DISK_MIB * 2048, 1);
	cmd.data_in = true;
	cmd.buf = guest_buf(&s, 512, &gpa);
	cmd.len = 512;
	CHECK_EQ(storvsc_exec(&s.sc, &cmd), -EIO);
	storvsc_describe(&cmd, why, sizeof(why));
	CHECK_MSG(strstr(why, "ILLEGAL REQUEST, logical block address out of range (ASC 0x21"),
		  "%s", why);
	CHECK_MSG(strstr(why, "scsi:0: READ(10) at LBA 16384 failed"), "%s", why);
	finish(&s);
}

static void read_with_fault(uint32_t fault, int want, const char *needle)
{
	static struct sfx s;
	struct storvsc_lun *l;
	uint64_t gpa;
	void *buf;
	int rc;

	memset(&s, 0, sizeof(s));
	fx_config(&s.f);
	s.f.cfg.medium_error_lba = 3000;
	start(&s, fault, 0, NULL);
	l = storvsc_lun(&s.sc, 0);
	CHECK(l != NULL);
	buf = guest_buf(&s, 4 << 20, &gpa);
	rc = blkdev_read(&l->dev, 0, 8192, buf);
	CHECK_EQ(rc, want);
	if (want == 0)
		CHECK(check_blocks(buf, 0, 8192, 0));
	guard_intact(buf, 4 << 20);
	if (needle)
		CHECK_MSG(log_has(needle), "log lacks '%s'", needle);
	finish(&s);
}

TEST(storvsc_fault_unit_attention_retried)
{
	read_with_fault(HVSIM_STORVSP_UNIT_ATTENTION, 0, NULL);
}

TEST(storvsc_fault_busy_retried)
{
	read_with_fault(HVSIM_STORVSP_BUSY, 0, NULL);
}

TEST(storvsc_fault_medium_error_reported)
{
	read_with_fault(HVSIM_STORVSP_MEDIUM_ERROR, -EIO,
			"MEDIUM ERROR, unrecovered read error (ASC 0x11, ASCQ 0x00) at LBA 3000");
}

TEST(storvsc_fault_short_transfers_completed)
{
	read_with_fault(HVSIM_STORVSP_SHORT_TRANSFER, 0, NULL);
}

TEST(storvsc_fault_delayed_completions)
{
	read_with_fault(HVSIM_STORVSP_DELAY, 0, NULL);
}

TEST(storvsc_fault_completions_out_of_order)
{
	read_with_fault(HVSIM_STORVSP_REORDER, 0, NULL);
}

TEST(storvsc_fault_bogus_completion_id)
{
	read_with_fault(HVSIM_STORVSP_BOGUS_TID, 0, "which is not outstanding");
}

TEST(storvsc_fault_overlong_transfer_rejected)
{
	read_with_fault(HVSIM_STORVSP_OVERLONG_TRANSFER, -EPROTO, "bytes moved for a");
}

TEST(storvsc_fault_short_completion_rejected)
{
	static struct sfx s;

	fx_config(&s.f);
	/* the first completion of an SRB is 40 bytes: discovery goes on */
	start(&s, HVSIM_STORVSP_BAD_COMPLETION_SIZE, 0, NULL);
	CHECK(log_has("is not a valid vstor_packet"));
	finish(&s);
}

TEST(storvsc_no_enumerate_bus_is_fine)
{
	static struct sfx s;

	fx_config(&s.f);
	start(&s, HVSIM_STORVSP_NO_ENUMERATE, 0, NULL);
	CHECK_EQ(s.sc.enumerate_bus, 0);
	CHECK_EQ(s.sc.nluns, 1);
	finish(&s);
}

TEST(storvsc_enumerate_bus_is_unsolicited)
{
	static struct sfx s;

	fx_config(&s.f);
	start(&s, 0, 0, NULL);
	CHECK_EQ(s.sc.enumerate_bus, 1);
	CHECK(log_has("ENUMERATE_BUS"));
	finish(&s);
}

TEST(storvsc_threaded_large_read)
{
	static struct sfx s;
	uint64_t gpa, bytes = 32ull << 20;
	void *buf;

	fx_config(&s.f);
	s.disks[0] = make_disk(32, 3);
	s.f.cfg.threaded = true;
	start(&s, 0, 0, NULL);
	buf = guest_buf(&s, bytes, &gpa);
	CHECK_EQ(blkdev_read(&storvsc_lun(&s.sc, 0)->dev, 0, bytes / 512, buf), 0);
	CHECK(check_blocks(buf, 0, bytes / 512, 3));
	guard_intact(buf, bytes);
	finish(&s);
}
