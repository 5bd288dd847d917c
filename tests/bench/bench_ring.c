/* Ring throughput benchmark: the guest produces packets into an echo
 * channel's ring as fast as it can; hvsim's host thread consumes them (sink
 * packets: validated and copied out by the host, no answer). Reported as a
 * ratio to memcpy measured in the same run, one JSON object per line:
 *   {"bench": NAME, "value": V, "unit": U, "ref": R, "ratio": V/R} */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../boot/echo.h"
#include "../../lib/log.h"
#include "bench_common.h"
#include "../../sim/hvsim.h"

#define RING_BYTES (1024 * 1024)
#define RUN_SECONDS 0.4

/* memcpy bandwidth (bytes/s) copying chunk-sized pieces through a ring-sized
 * buffer, the same memory footprint the ring has. */
static double memcpy_rate(size_t chunk, double *ops_per_s)
{
	size_t size = RING_BYTES;
	uint8_t *src = malloc(size), *dst = malloc(size);
	size_t off = 0;
	double t0, t;
	uint64_t bytes = 0, ops = 0;

	memset(src, 0x5a, size);
	memset(dst, 0, size);
	t0 = bench_now();
	do {
		for (int i = 0; i < 256; i++) {
			memcpy(dst + off, src + off, chunk);
			off = (off + chunk) % (size - chunk);
			bytes += chunk;
			ops++;
		}
		__asm__ volatile("" ::"r"(dst) : "memory");
	} while ((t = bench_now() - t0) < RUN_SECONDS);
	free(src);
	free(dst);
	*ops_per_s = (double)ops / t;
	return (double)bytes / t;
}

struct result {
	double bytes_per_s, packets_per_s;
};

static int ring_rate(struct echo_client *ec, uint32_t size, struct result *res)
{
	static uint8_t buf[65536];
	uint32_t magic = ECHO_SINK_MAGIC;
	uint64_t bytes = 0, packets = 0;
	double t0, t;
	int rc;

	memset(buf, 0xa5, sizeof(buf));
	memcpy(buf, &magic, sizeof(magic));
	t0 = bench_now();
	do {
		vmbus_channel_batch_begin(&ec->ch);
		for (int i = 0; i < 64; i++) {
			rc = vmbus_send_inband(&ec->ch, buf, size, 0);
			if (rc == 0) {
				bytes += size;
				packets++;
			} else if (rc == -EAGAIN) {
				vmbus_loop_once(ec->vb);
				__builtin_ia32_pause();
			} else {
				fprintf(stderr, "bench: send failed (%d)\n", rc);
				return rc;
			}
		}
		vmbus_channel_batch_end(&ec->ch);
	} while (bench_now() - t0 < RUN_SECONDS);
	/* until the host has consumed everything */
	while (__atomic_load_n(&ec->ch.out.hdr->read_index, __ATOMIC_ACQUIRE) != ec->ch.out.write_priv)
		__builtin_ia32_pause();
	t = bench_now() - t0;
	res->bytes_per_s = (double)bytes / t;
	res->packets_per_s = (double)packets / t;
	return 0;
}

int main(void)
{
	static const struct { uint32_t size; const char *name; } sizes[] = {
		{ 64, "ring_throughput_64B" },
		{ 1024, "ring_throughput_1KiB" },
		{ 4096, "ring_throughput_4KiB" },
		{ 65536, "ring_throughput_64KiB" },
	};
	struct hvsim_config cfg = { .seed = 1, .devices = "echo", .threaded = true,
				    .host_polls = true, .mem_mib = 64 };
	static struct echo_client ec;
	static struct vmbus vb;
	struct hvsim *sim;
	struct hv hv;
	int rc;

	hvb_log_set_sink(bench_quiet_log, NULL);
	sim = hvsim_create(&cfg);
	if (!sim || hv_init(&hv, hvsim_seam(sim)) || vmbus_connect(&vb, &hv, NULL) ||
	    echo_open(&ec, &vb, RING_BYTES)) {
		fprintf(stderr, "bench: cannot set up the echo channel\n");
		return 1;
	}
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct result r;
		double ops, mc = memcpy_rate(sizes[i].size, &ops);

		rc = ring_rate(&ec, sizes[i].size, &r);
		if (rc)
			return 1;
		bench_emit(sizes[i].name, r.bytes_per_s / 1e6, "MB/s", mc / 1e6);
		if (sizes[i].size == 64)
			bench_emit("ring_packets_64B", r.packets_per_s, "packets/s", ops);
	}
	rc = vmbus_shutdown(&vb);
	hv_teardown(&hv);
	hvsim_destroy(sim);
	return rc ? 1 : 0;
}
