/* Bring-up benchmark: how long until storvsc and netvsc are both ready when
 * every host response is late (hvsim's response_latency_us), brought up
 * concurrently on the one event loop, against the longer of the two brought
 * up alone. Concurrent bring-up makes the ratio close to 1; one after the
 * other (what mu_msvm does) it would be near the sum. Measured in hvsim's
 * stepped mode, on its reference time: deterministic, so the ratio does not
 * depend on how busy the machine is. Also: the size of hvboot.efi.
 *   bench_bringup [LATENCY_US] [HVBOOT_EFI]
 * One JSON line each, as the other benchmarks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../sim/hvsim.h"
#include "../../vmbus/devclass.h"
#include "../../vmbus/hv.h"
#include "../../vmbus/vmbus.h"
#include "../../vsc/netvsc.h"
#include "../../vsc/storvsc.h"
#include "bench_common.h"

static struct vmbus vb;
static struct storvsc sc;
static struct netvsc nv;

/* Reference-time microseconds from both devices started to both ready. */
static double bringup_us(const char *disk, uint32_t latency, bool want_scsi, bool want_net)
{
	const char *disks[] = { disk, NULL };
	struct hvsim_config cfg = { .seed = 1, .disks = disks, .net = "loop",
				    .response_latency_us = latency };
	struct storvsc_params sp = { .queue_depth = 32 };
	struct vmbus_op sop = { 0 }, nop = { 0 };
	struct hvsim *sim = hvsim_create(&cfg);
	struct hv hv;
	uint64_t t0, t1;
	char audit[256];

	if (!sim || hv_init(&hv, hvsim_seam(sim)) || vmbus_connect(&vb, &hv, NULL)) {
		fprintf(stderr, "bench_bringup: cannot start hvsim and VMBus\n");
		exit(1);
	}
	t0 = hv_time(&hv);
	if ((want_scsi && storvsc_start(&sc, &vb, vmbus_find_class(&vb, "storvsc"), &sp, &sop)) ||
	    (want_net && netvsc_start(&nv, &vb, vmbus_find_class(&vb, "netvsc"), NULL, &nop)) ||
	    (want_scsi && vmbus_wait_op(&vb, &sop)) || (want_net && vmbus_wait_op(&vb, &nop))) {
		fprintf(stderr, "bench_bringup: bring-up failed\n");
		exit(1);
	}
	t1 = hv_time(&hv);
	if ((want_scsi && storvsc_detach(&sc)) || (want_net && netvsc_detach(&nv)) ||
	    vmbus_shutdown(&vb)) {
		fprintf(stderr, "bench_bringup: teardown failed\n");
		exit(1);
	}
	hv_teardown(&hv);
	if (!hvsim_audit(sim, true, audit, sizeof(audit))) {
		fprintf(stderr, "bench_bringup: %s\n", audit);
		exit(1);
	}
	hvsim_destroy(sim);
	return (double)(t1 - t0) / 10.0;
}

int main(int argc, char **argv)
{
	uint32_t latency = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1000;
	const char *efi = argc > 2 ? argv[2] : "build/hvboot.efi";
	char disk[] = "/tmp/hvboot-bench-bringup-XXXXXX";
	double scsi, net, both, seq;
	struct stat st;
	int fd;

	hvb_log_set_sink(bench_quiet_log, NULL);
	fd = mkstemp(disk);
	if (fd < 0 || ftruncate(fd, 64 << 20) != 0) {
		perror("bench_bringup: a scratch disk");
		return 1;
	}
	close(fd);
	scsi = bringup_us(disk, latency, true, false);
	net = bringup_us(disk, latency, false, true);
	both = bringup_us(disk, latency, true, true);
	unlink(disk);
	seq = scsi + net;
	printf("{\"bench\": \"bringup\", \"latency_us\": %u, \"storvsc_us\": %.0f, \"netvsc_us\": %.0f, "
	       "\"both_us\": %.0f, \"sequential_us\": %.0f}\n",
	       latency, scsi, net, both, seq);
	/* The ratio the issue asks for: both at once vs the longer alone. */
	bench_emit("bringup_concurrent_vs_longest", both, "us", scsi > net ? scsi : net);
	if (stat(efi, &st) == 0)
		printf("{\"bench\": \"image_size\", \"file\": \"%s\", \"bytes\": %lld}\n", efi,
		       (long long)st.st_size);
	else
		printf("{\"bench\": \"image_size\", \"file\": \"%s\", \"error\": \"not built\"}\n", efi);
	return 0;
}
