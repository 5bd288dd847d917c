/* Network benchmarks: a 64 MiB file over HTTP and TFTP from servers on this
 * machine (tests/netsrv.c), through the whole guest path: netvsc on hvsim's
 * netvsp (threaded), slirp's NAT, lwIP, our clients. Reference: curl
 * downloading the same file from the same server in the same run (TFTP
 * with the same block size). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/util.h"
#include "../../net/net.h"
#include "../../sim/hvsim.h"
#include "../../vmbus/devclass.h"
#include "../../vsc/netvsc.h"
#include "../netsrv.h"
#include "bench_common.h"

#define FILE_BYTES (64u << 20)
#define TFTP_BLKSIZE 1468

/* tests/netsrv.c reports its failures through the test harness. */
void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void test_skip(const char *reason)
{
	fprintf(stderr, "bench: %s\n", reason);
	exit(1);
}

static uint64_t now_ms(void *ctx)
{
	return hv_time(ctx) / HV_TICKS_PER_MS;
}

static uint32_t rnd(void *ctx)
{
	static uint64_t x = 0x243f6a8885a308d3ull;

	(void)ctx;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (uint32_t)x;
}

/* curl's own speed for url, bytes/s; 0 when curl fails. */
static double curl_rate(const char *url, const char *extra)
{
	char cmd[512], out[64] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "curl -s %s -o /dev/null -w '%%{speed_download}' '%s'", extra, url);
	p = popen(cmd, "r");
	if (!p || !fgets(out, sizeof(out), p)) {
		if (p)
			pclose(p);
		return 0;
	}
	return pclose(p) == 0 ? strtod(out, NULL) : 0;
}

/* -v: where a download's time went (stderr). The wall clock is noisy on
 * a shared machine; CPU time per thread and the event counts are not. */
static bool verbose;
static double idle_s, idle_cpu_s;
static void (*link_idle)(struct net_link *l);

static double cpu_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The guest's idle calls: wall time, and the CPU they burn (yielding). */
static void timed_idle(struct net_link *l)
{
	double t = bench_now(), c = cpu_s(CLOCK_THREAD_CPUTIME_ID);

	link_idle(l);
	idle_s += bench_now() - t;
	idle_cpu_s += cpu_s(CLOCK_THREAD_CPUTIME_ID) - c;
}

static void counts(struct hvsim *sim, struct netvsc *nv, struct net_stack *st, double secs,
		   double guest_cpu, double all_cpu)
{
	struct hvsim_channel_stats cs;
	struct hvsim_netvsp_stats ns;
	struct net_stats n;

	net_get_stats(st, &n);
	if (hvsim_channel_stats(sim, nv->ch.relid, &cs) || hvsim_netvsp_stats(sim, &ns))
		return;
	fprintf(stderr, "bench: %.3f s; guest CPU %.3f s working, %.3f s in idle calls (%.3f s "
		"wall); host thread CPU %.3f s; frames in %llu out %llu; ring packets to host %u, "
		"to guest %u; signals to guest %u, to host %u; dropped %u; stack: rx dropped %llu, "
		"deferred %llu, tx busy drops %llu\n", secs, guest_cpu - idle_cpu_s, idle_cpu_s,
		idle_s, all_cpu - guest_cpu,
		(unsigned long long)nv->stats.frames_in, (unsigned long long)nv->stats.frames_out,
		cs.packets_in, cs.packets_out, cs.host_signals, cs.guest_signals, ns.dropped,
		(unsigned long long)n.rx_dropped, (unsigned long long)n.rx_deferred,
		(unsigned long long)n.tx_busy_drops);
}

/* The guest's download of url, bytes/s (wall clock), or 0. */
static double guest_rate(const char *url)
{
	struct hvsim_config cfg = { .seed = 1, .devices = "netvsc", .threaded = true,
				    .net = "slirp", .mem_mib = 256 };
	const struct vmbus_devclass *nic = vmbus_devclass_by_key("netvsc");
	static struct vmbus vb;
	static struct netvsc nv;
	struct net_config nc = { 0 };
	struct net_lease lease;
	struct net_stack *st;
	struct hvsim *sim = hvsim_create(&cfg);
	struct hv hv;
	struct vmbus_offer *offer = NULL;
	uint64_t gpa;
	size_t got = 0;
	double t0, rate = 0;
	void *dst;

	if (!sim || hv_init(&hv, hvsim_seam(sim)) || vmbus_connect(&vb, &hv, NULL))
		return 0;
	for (unsigned i = 0; i < vb.noffers; i++)
		if (guid_equal(&vb.offers[i].type, &nic->guid))
			offer = &vb.offers[i];
	if (!offer || netvsc_attach(&nv, &vb, offer, NULL))
		return 0;
	nc.link = netvsc_link(&nv);
	if (verbose) {
		link_idle = nc.link->idle;
		nc.link->idle = timed_idle;
	}
	nc.clock = (struct net_clock){ now_ms, &hv };
	nc.random = (struct net_random){ rnd, NULL };
	nc.params.tftp_blksize = TFTP_BLKSIZE;
	st = net_open(&nc);
	dst = hv.seam->alloc(hv.seam, HVB_PAGES(FILE_BYTES) + 1, &gpa);
	/* hvsim's guest RAM is mapped lazily; a VM's is there before it
	 * boots: fault the destination in outside the timed part. */
	if (dst)
		memset(dst, 0xa5, FILE_BYTES + HVB_PAGE_SIZE);
	if (st && dst && net_dhcp(st, &lease) == 0) {
		double g0 = cpu_s(CLOCK_THREAD_CPUTIME_ID), a0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);

		idle_s = idle_cpu_s = 0;
		t0 = bench_now();
		if (net_load(st, url, dst, FILE_BYTES + HVB_PAGE_SIZE, &got, NULL) == 0 &&
		    got == FILE_BYTES)
			rate = (double)got / (bench_now() - t0);
		if (verbose)
			counts(sim, &nv, st, bench_now() - t0, cpu_s(CLOCK_THREAD_CPUTIME_ID) - g0,
			       cpu_s(CLOCK_PROCESS_CPUTIME_ID) - a0);
	}
	if (st)
		net_close(st);
	netvsc_detach(&nv);
	vmbus_shutdown(&vb);
	hv_teardown(&hv);
	hvsim_destroy(sim);
	return rate;
}

/* `bench_net [-v] [http|tftp]`: -v says where the time went, a protocol
 * name runs only that one (for profiling). */
int main(int argc, char **argv)
{
	char dir[] = "/tmp/hvboot-bench-net-XXXXXX", cmd[256], url[200];
	const char *only = "";
	struct netsrv httpd, tftpd;
	double ref, val;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose = true;
		else
			only = argv[i];
	}

	hvb_log_set_sink(bench_quiet_log, NULL);
	if (!mkdtemp(dir))
		return 1;
	snprintf(cmd, sizeof(cmd), "head -c %u /dev/urandom > %s/big", FILE_BYTES, dir);
	if (system(cmd) != 0)
		return 1;
	httpd_start(&httpd, dir);
	tftpd_start(&tftpd, dir, TFTPD_NORMAL);

	if (strcmp(only, "tftp") != 0) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%u/f/big", httpd.port);
		ref = curl_rate(url, "");
		snprintf(url, sizeof(url), "http://10.0.2.2:%u/f/big", httpd.port);
		val = guest_rate(url);
		bench_emit("net_http_64MiB", val / 1e6, "MB/s", ref / 1e6);
	}
	if (strcmp(only, "http") != 0) {
		snprintf(url, sizeof(url), "tftp://127.0.0.1:%u/big", tftpd.port);
		snprintf(cmd, sizeof(cmd), "--tftp-blksize %u", TFTP_BLKSIZE);
		ref = curl_rate(url, cmd);
		snprintf(url, sizeof(url), "tftp://10.0.2.2:%u/big", tftpd.port);
		val = guest_rate(url);
		bench_emit("net_tftp_64MiB_blksize1468", val / 1e6, "MB/s", ref / 1e6);
	}

	netsrv_stop(&httpd);
	netsrv_stop(&tftpd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
