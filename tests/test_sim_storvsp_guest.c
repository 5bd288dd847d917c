/* hvsim's storage VSP against a guest that gets things wrong (protocol
 * violations stop the channel), its configuration (bad disks, the
 * description) and threaded mode. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "storvsp_util.h"

/* --- the guest's mistakes --------------------------------------------------- */

/* A request after a violation gets nothing: the channel is no longer served. */
static void check_stopped(struct vsc *c)
{
	uint8_t tur[6] = { SCSI_TEST_UNIT_READY };
	struct vstor_packet p;

	sp_srb_packet(c, &p, 0, tur, 6, VSTOR_DATA_NONE, 0);
	sp_send(c, &p, c->size, 0, 0);
	sp_run_until(c, &c->done, 2 * REQ_TIMEOUT);
	CHECK(c->done && c->status == -ETIMEDOUT);
}

TEST(storvsp_violations_stop_the_channel)
{
	static const char *const why[] = {
		"no COMPLETION_REQUESTED", "a completion packet", "operation 12",
		"fewer than data_transfer_length", "2 data ranges", "without a data range",
		"data_in 1 (read) without",
	};
	uint8_t cdb[10];

	sp_rw10(cdb, SCSI_READ_10, 0, 2);
	for (unsigned k = 0; k < ARRAY_SIZE(why); k++) {
		struct vmbus_gpa_buf two[2];
		struct vstor_packet p;
		struct vsc c;

		sp_ready(&c, 1, 0);
		sp_srb_packet(&c, &p, 0, cdb, 10, VSTOR_DATA_IN, 1024);
		two[0] = (struct vmbus_gpa_buf){ c.buf_gpa, 512 };
		two[1] = (struct vmbus_gpa_buf){ c.buf_gpa + 4096, 512 };
		if (k == 0) {
			CHECK_EQ(vmbus_send_inband(&c.ch, &p, c.size, 0), 0);
		} else if (k == 1) {
			CHECK_EQ(vmbus_send_completion(&c.ch, 77, &p, c.size), 0);
		} else if (k == 2) {
			p.operation = VSTOR_OP_FCHBA_DATA;
			sp_send(&c, &p, c.size, 0, 0);
		} else if (k == 3) {
			sp_send(&c, &p, c.size, c.buf_gpa, 512);
		} else if (k == 4) {
			uint64_t tid = vmbus_request_start(&c.ch, sp_on_done, &c, REQ_TIMEOUT);

			CHECK_EQ(vmbus_send_gpa_direct(&c.ch, two, 2, &p, c.size, tid), 0);
		} else {
			if (k == 6)
				p.srb.data_transfer_length = 0;
			sp_send(&c, &p, c.size, 0, 0);
		}
		check_stopped(&c);
		sp_finish_violated(&c, 1, why[k]);
	}
}

TEST(storvsp_page_outside_guest_memory)
{
	struct vstor_packet p;
	uint8_t cdb[10];
	struct vsc c;

	sp_ready(&c, 1, 0);
	sp_rw10(cdb, SCSI_READ_10, 0, 1);
	sp_srb_packet(&c, &p, 0, cdb, 10, VSTOR_DATA_IN, 512);
	sp_check_srb(sp_call(&c, &p, 1ull << 40, 512), ST_DEVICE_ERROR, SRB_STATUS_ERROR, 0, 0);
	sp_check_good(sp_read10(&c, 0, 0, 1, 0), 512); /* served still */
	CHECK_EQ(vmbus_channel_close(&c.ch), 0);
	sp_finish_violated(&c, 1, "is not guest memory");
}

/* --- configuration, threaded mode, the command ----------------------------- */

/* hvsim_create's complaint about a disk, from stderr. */
static void create_fails(struct vsc *c, const char *devices, const char *needle)
{
	char out[512], path[] = "/tmp/hvsim-err-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	CHECK(fd >= 0 && saved >= 0);
	c->f.cfg.devices = devices;
	fflush(stderr);
	dup2(fd, 2);
	CHECK(hvsim_create(&c->f.cfg) == NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	close(fd);
	unlink(path);
	CHECK(n > 0);
	out[n] = '\0';
	CHECK_MSG(strstr(out, needle) && strchr(out, '\n') == out + n - 1, "stderr: %s", out);
}

TEST(storvsp_bad_disks_fail_creation)
{
	struct vsc c;

	sp_config(&c, 1);
	CHECK_EQ(ftruncate(c.fds[0], 1000), 0);
	create_fails(&c, NULL, "is 1000 bytes, not a multiple of the 512-byte block");
	CHECK_EQ(ftruncate(c.fds[0], 0), 0);
	create_fails(&c, NULL, "is empty");
	CHECK_EQ(ftruncate(c.fds[0], 512), 0);
	create_fails(&c, "echo", "no storvsc device is offered");
	unlink(c.paths[0]);
	create_fails(&c, NULL, "No such file or directory");
}

TEST(storvsp_describe_lists_luns)
{
	char cmd[200], out[4096];
	struct vsc c;
	FILE *p;
	size_t n;

	sp_config(&c, 2);
	CHECK_EQ(ftruncate(c.fds[1], 3 << 20), 0);
	snprintf(cmd, sizeof(cmd), "build/hvsim --describe --disk %s --disk %s", c.paths[0],
		 c.paths[1]);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	CHECK_EQ(pclose(p), 0);
	unlink(c.paths[0]);
	unlink(c.paths[1]);
	CHECK_MSG(strstr(out, "Disks: storvsc relid 1, path 0, target 0, read-only"), "%s", out);
	CHECK_MSG(strstr(out, "lun 0   2097152 bytes (2.0 MiB, 4096 blocks)"), "%s", out);
	CHECK_MSG(strstr(out, "lun 1   3145728 bytes (3.0 MiB, 6144 blocks)"), "%s", out);
}

/* The host in its own thread: 32 MiB in 1 MiB READs, four at a time. */
TEST(storvsp_threaded_bulk_read)
{
	const uint32_t blocks = 2048, chunks = 32; /* 1 MiB each */
	uint64_t tids[4];
	struct vsc c;

	memset(&c, 0, sizeof(c));
	fx_config(&c.f);
	c.f.cfg.devices = "storvsc";
	c.f.cfg.threaded = true;
	sp_make_image(&c, 0, chunks * blocks, true);
	c.f.cfg.disks = c.disks;
	sp_start(&c);
	c.f.seam->free(c.f.seam, c.buf, BUF_PAGES);
	c.buf = c.f.seam->alloc(c.f.seam, 4 * blocks / 8, &c.buf_gpa);
	CHECK(c.buf != NULL);
	sp_handshake(&c, STORVSC_VERSION_WIN10);
	for (uint32_t i = 0; i < chunks; i += 4)
		sp_read_burst(&c, i * blocks, 4, blocks, tids);
	CHECK_EQ(sp_stats(&c).bytes_read, (uint64_t)chunks * blocks * 512);
	sp_finish(&c);
}
