/* hvboot-host's network side: netvsc brought up on the simulated NIC, lwIP
 * on top (net/), DHCP, then a load from tftp://, http:// or dhcp. */
#include "host_net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../lib/log.h"
#include "../lib/sha256.h"
#include "../lib/util.h"
#include "../net/net.h"
#include "../vmbus/devclass.h"
#include "../vsc/netvsc.h"

static uint64_t now_ms(void *ctx)
{
	return hv_time(ctx) / HV_TICKS_PER_MS;
}

/* xorshift seeded from the reference time: hosted only; the image uses
 * RDRAND where present (stage 5). Never a constant. */
static uint32_t next_random(void *ctx)
{
	static uint64_t x;

	if (!x)
		x = hv_time(ctx) * 0x9e3779b97f4a7c15ull | 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (uint32_t)(x >> 32);
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int host_net_run(struct vmbus *vb, const char *spec, const char *out_path, uint64_t max_bytes,
		 void (*line)(const char *, void *), void *line_ctx)
{
	static struct netvsc nv;
	struct hv_seam *s = vb->hv->seam;
	struct vmbus_offer *offer = vmbus_find_class(vb, "netvsc");
	struct net_config cfg = { 0 };
	struct net_lease lease;
	struct net_stack *st;
	uint8_t digest[SHA256_DIGEST_LEN];
	char hex[65], text[720];
	uint64_t gpa, pages = HVB_PAGES(max_bytes);
	double t0;
	size_t got = 0;
	void *dst = NULL;
	FILE *out;
	int rc, rc2;

	if (!offer) {
		log_err("the host offers no network adapter");
		return -ENODEV;
	}
	rc = netvsc_attach(&nv, vb, offer, NULL);
	if (rc)
		return rc;
	if (!spec)
		netvsc_inventory(&nv, line, line_ctx); /* the inventory command */
	cfg.link = netvsc_link(&nv);
	cfg.clock = (struct net_clock){ now_ms, vb->hv };
	cfg.random = (struct net_random){ next_random, vb->hv };
	st = net_open(&cfg);
	if (!st) {
		rc = -ENOMEM;
		goto out;
	}
	rc = net_dhcp(st, &lease);
	if (!spec) {
		/* inventory: the lease is a row of its own under the NIC's
		 * (or why there is none); that is all we wanted. */
		char row[640];

		if (rc == 0)
			net_lease_row(&lease, row, sizeof(row));
		else
			snprintf(row, sizeof(row), "lease none: %s", net_error(st));
		snprintf(text, sizeof(text), "%s  %s", cfg.link->name, row);
		line(text, line_ctx);
		goto out_stack;
	}
	if (rc)
		goto out_stack;
	dst = s->alloc(s, pages, &gpa);
	if (!dst) {
		log_err("no room in guest memory for a %llu-byte download", (unsigned long long)max_bytes);
		rc = -ENOMEM;
		goto out_stack;
	}
	t0 = wall_s();
	rc = net_load(st, spec, dst, pages * HVB_PAGE_SIZE, &got, digest);
	if (rc == 0) {
		out = fopen(out_path, "wb");
		if (!out || fwrite(dst, 1, got, out) != got || fclose(out) != 0) {
			log_err("cannot write %s: %s", out_path, strerror(errno));
			rc = -EIO;
		} else {
			sha256_hex(digest, hex);
			snprintf(text, sizeof(text), "loaded %s: %zu bytes in %.3f s, sha256 %s", spec,
				 got, wall_s() - t0, hex);
			line(text, line_ctx);
		}
	}
	s->free(s, dst, pages);
out_stack:
	net_close(st);
out:
	rc2 = netvsc_detach(&nv);
	return rc ? rc : rc2;
}
