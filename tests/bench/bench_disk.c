/* Disk benchmarks: a 256 MiB file loaded from a FAT32 partition on a GPT
 * disk through storvsc, hvsim's host thread serving it (threaded mode).
 * Reference: memcpy of the same 256 MiB in the same run. Also the same load
 * at queue depth 1 with 64 KiB requests (as the Hyper-V firmware reads), and
 * guest-side instructions per MiB where the machine can count them.
 *   bench_disk IMAGE   (the image holds /big.bin; make bench builds it) */
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/log.h"
#include "bench_common.h"
#include "../../lib/sha256.h"
#include "../../lib/util.h"
#include "../../payload/diskload.h"
#include "../../sim/hvsim.h"
#include "../../vmbus/devclass.h"
#include "../../vsc/storvsc.h"

/* Instructions retired by this thread only (the guest), or -1. */
static int counter_open(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static struct blkdev *lun_dev(void *ctx, unsigned lun)
{
	struct storvsc_lun *l = storvsc_lun(ctx, lun);

	return l ? &l->dev : NULL;
}

struct run {
	double mb_per_s;
	uint64_t bytes, instructions;
	bool have_instructions;
};

static int load(const char *image, uint16_t queue_depth, uint32_t max_transfer, struct run *r)
{
	const char *disks[] = { image, NULL };
	struct hvsim_config cfg = { .seed = 1, .devices = "storvsc", .threaded = true,
				    .disks = disks, .storvsp_max_transfer = max_transfer,
				    .mem_mib = 512 };
	struct storvsc_params p = { .queue_depth = queue_depth };
	static struct vmbus vb;
	static struct storvsc sc;
	static struct disk_file df;
	struct hvsim *sim = hvsim_create(&cfg);
	const struct vmbus_devclass *scsi = vmbus_devclass_by_key("storvsc");
	struct vmbus_offer *offer = NULL;
	struct hv hv;
	uint64_t gpa, pages;
	double t0;
	void *dst;
	int fd, rc;

	if (!sim || hv_init(&hv, hvsim_seam(sim)) || vmbus_connect(&vb, &hv, NULL))
		return -1;
	for (unsigned i = 0; i < vb.noffers; i++)
		if (guid_equal(&vb.offers[i].type, &scsi->guid))
			offer = &vb.offers[i];
	if (!offer || storvsc_attach(&sc, &vb, offer, &p) ||
	    disk_file_open(&df, "scsi:0/big.bin", lun_dev, &sc))
		return -1;
	pages = HVB_PAGES(df.size);
	dst = hv.seam->alloc(hv.seam, pages, &gpa);
	if (!dst)
		return -1;
	memset(dst, 0, pages * HVB_PAGE_SIZE); /* fault the pages in before timing */
	fd = counter_open();
	r->have_instructions = fd >= 0;
	if (fd >= 0) {
		ioctl(fd, PERF_EVENT_IOC_RESET, 0);
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	}
	t0 = bench_now();
	rc = disk_file_read(&df, dst, pages * HVB_PAGE_SIZE, NULL);
	r->mb_per_s = (double)df.size / (bench_now() - t0) / 1e6;
	if (fd >= 0) {
		ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
		if (read(fd, &r->instructions, sizeof(r->instructions)) != sizeof(r->instructions))
			r->have_instructions = false;
		close(fd);
	}
	r->bytes = df.size;
	storvsc_detach(&sc);
	vmbus_shutdown(&vb);
	hv_teardown(&hv);
	hvsim_destroy(sim);
	return rc;
}

int main(int argc, char **argv)
{
	struct run deep, fw;
	uint8_t *a, *b;
	double t0, ref;
	size_t n = 256u << 20;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_disk IMAGE\n");
		return 2;
	}
	hvb_log_set_sink(bench_quiet_log, NULL);
	a = malloc(n);
	b = malloc(n);
	memset(a, 1, n);
	memset(b, 2, n);
	t0 = bench_now();
	memcpy(b, a, n);
	ref = (double)n / (bench_now() - t0) / 1e6;
	__asm__ volatile("" ::"r"(b) : "memory");
	{
		uint8_t d[32];
		double sha;

		t0 = bench_now();
		sha256(a, n, d);
		sha = (double)n / (bench_now() - t0) / 1e6;
		bench_emit("sha256_256MiB", sha, "MB/s", ref);
	}
	free(a);
	free(b);
	if (load(argv[1], 32, 0, &deep) || load(argv[1], 1, 64 * 1024, &fw)) {
		fprintf(stderr, "bench: the load failed\n");
		return 1;
	}
	bench_emit("disk_load_256MiB_fat32_gpt", deep.mb_per_s, "MB/s", ref);
	bench_emit("disk_load_256MiB_qd1_64KiB", fw.mb_per_s, "MB/s", ref);
	if (deep.have_instructions && fw.have_instructions) {
		double mib = (double)deep.bytes / (1 << 20);

		/* ref: the firmware-style load's count; lower is better */
		bench_emit("disk_guest_instructions_per_MiB", (double)deep.instructions / mib,
		     "instructions/MiB", (double)fw.instructions / mib);
	} else {
		fprintf(stderr, "bench: instruction counts unavailable here (perf_event_open: no "
				"hardware counters)\n");
	}
	return 0;
}
