/* The bridge backend (arch/bridge.c) against hvsim's bridge server
 * (sim/bridge_server.c), as hvboot.efi in QEMU will use them (bridge_util.c):
 * guest RAM is a file both sides map shared, the primitives travel as
 * frames over a stream socket, and the real guest stack runs on top; the
 * overlays, the time page, noise before the sync, a version mismatch,
 * corrupt frames and bytes after DETACH. Fake hosts are in
 * test_bridge_fake.c, the hvsim --bridge command in test_bridge_cmd.c. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "../lib/crc32.h"
#include "bridge_util.h"

TEST(bridge_full_stack_audit_clean)
{
	static struct bfx f;
	struct bridge_stats st;
	bool clean = false;
	uint64_t before;

	f.disks[0] = bfx_make_disk();
	f.cfg.disks = f.disks;
	f.cfg.devices = "storvsc,echo,heartbeat";
	bfx_start(&f);
	bfx_attach_ok(&f);
	CHECK_EQ(f.br.host_version, BRIDGE_PROTO_VERSION);
	CHECK_EQ(f.br.host_ram, (uint64_t)RAM_MIB << 20);
	CHECK(log_has("bridge: attached to hvsim (protocol 1, 64 MiB of guest RAM"));
	bfx_run_guest_stack(&f, true);
	CHECK_MSG(!bridge_failed(&f.br), "%s", bridge_error(&f.br));
	st = f.br.stats;
	/* Clock reads never cost a round trip: the stack read the clock far
	 * more often than it asked the host anything. */
	CHECK(st.time_reads > 0);
	before = st.requests;
	for (int i = 0; i < 1000; i++)
		hv_time(&f.hv);
	CHECK_EQ(f.br.stats.requests, before);

	CHECK_EQ(bridge_detach(&f.br, &clean), 0);
	CHECK(clean);
	bfx_stop(&f);
	CHECK_EQ(f.host.rc, 0);
	CHECK(f.host.res.detached);
	CHECK_MSG(f.host.res.clean, "%s", f.host.res.audit);
	CHECK_EQ(strcmp(f.host.outbuf, "audit: clean\n"), 0);
	CHECK_EQ(f.host.res.bad_frames, 0);
	CHECK_EQ(f.host.res.discarded, 0);
	CHECK_EQ(f.host.res.requests, st.requests + 1); /* + DETACH */
	CHECK_EQ(hvsim_violation_count(f.host.sim), 0);
	printf("    %llu round trips, %llu clock reads from the time page, %.1f us per round "
	       "trip (max %llu us)\n",
	       (unsigned long long)st.requests, (unsigned long long)st.time_reads,
	       (double)st.wait_us / (double)st.requests, (unsigned long long)st.max_us);
	/* after DETACH the seam is closed */
	CHECK_EQ(bridge_detach(&f.br, NULL), -EINVAL);
	bfx_destroy(&f);
}

/* The overlays are the guest's own pages in bridge mode: the hypercall
 * page holds hvsim's code at the GPA the guest chose, and SynIC messages
 * land in the guest's RAM page. */
TEST(bridge_overlays_are_guest_ram)
{
	static struct bfx f;

	f.cfg.devices = "heartbeat";
	bfx_start(&f);
	bfx_attach_ok(&f);
	CHECK_EQ(hv_init(&f.hv, bridge_seam(&f.br)), 0);
	CHECK(f.hv.hypercall_gpa >= POOL_START);
	CHECK(memcmp(f.ram.map + f.hv.hypercall_gpa, "\x0f\x01\xc1\xc3", 4) == 0);
	CHECK((void *)f.hv.simp == (void *)(f.ram.map + f.hv.simp_gpa));
	CHECK(f.hv.sief == f.ram.map + f.hv.siefp_gpa);
	CHECK_EQ(vmbus_connect(&f.vb, &f.hv, &fx_short_timeouts), 0);
	CHECK_EQ(f.vb.noffers, 1);
	CHECK_EQ(vmbus_unload(&f.vb), 0);
	hv_teardown(&f.hv);
	CHECK_EQ(bridge_detach(&f.br, NULL), 0);
	bfx_stop(&f);
	CHECK_EQ(f.host.rc, 0);
	bfx_destroy(&f);
}

/* Round-trip cost: CPUID requests back to back. Printed, not judged
 * (machines differ), beyond a generous sanity bound. */
TEST(bridge_round_trip_time)
{
	static struct bfx f;
	struct hv_cpuid r;
	uint64_t t0, us;
	const unsigned n = 2000;

	f.cfg.devices = "heartbeat";
	bfx_start(&f);
	bfx_attach_ok(&f);
	t0 = bfx_mono_us();
	for (unsigned i = 0; i < n; i++)
		hv_cpuid(bridge_seam(&f.br), HV_CPUID_VENDOR, &r);
	us = bfx_mono_us() - t0;
	CHECK_EQ(r.ebx, HV_VENDOR_EBX);
	CHECK(!bridge_failed(&f.br));
	printf("    %u CPUID round trips over a socketpair: %.1f us each (max %llu us)\n", n,
	       (double)us / n, (unsigned long long)f.br.stats.max_us);
	CHECK(us / n < 5000);
	bfx_stop(&f);
	CHECK_EQ(f.host.rc, 1); /* no DETACH */
	bfx_destroy(&f);
}

/* The time page: refreshed by hvsim's thread, read without a round trip,
 * never backwards. */
TEST(bridge_time_page_is_fresh)
{
	static struct bfx f;
	uint64_t t0, prev, v, changes = 0, reqs;

	f.cfg.devices = "heartbeat";
	bfx_start(&f);
	bfx_attach_ok(&f);
	reqs = f.br.stats.requests;
	prev = hv_rdmsr(bridge_seam(&f.br), HV_MSR_TIME_REF_COUNT);
	t0 = bfx_mono_us();
	while (bfx_mono_us() - t0 < 200000) {
		v = hv_rdmsr(bridge_seam(&f.br), HV_MSR_TIME_REF_COUNT);
		CHECK(v >= prev);
		changes += v != prev;
		prev = v;
	}
	CHECK_EQ(f.br.stats.requests, reqs);
	printf("    the time page changed %llu times in 200 ms\n", (unsigned long long)changes);
	/* every 50 us promised; 200 in 200 ms leaves room for a loaded machine */
	CHECK(changes >= 200);
	bfx_stop(&f);
	bfx_destroy(&f);
}

/* OVMF's console noise on COM2 before ExitBootServices, a start byte and
 * half a sync string among it: all discarded, then the session works. */
TEST(bridge_discards_garbage_before_sync)
{
	static struct bfx f;
	static const char noise[] = "\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01HBdsDxe: loading "
				    "Boot0001 \"UEFI QEMU HARDDISK\"\r\n\xb7\x01\x00\x00"
				    "\x16\x16hvboot-bri\x1b[0m\x16\x16\x16";
	struct hv_cpuid r;

	f.cfg.devices = "heartbeat";
	bfx_start(&f);
	CHECK(send(f.gfd, noise, sizeof(noise) - 1, 0) == sizeof(noise) - 1);
	bfx_attach_ok(&f);
	hv_cpuid(bridge_seam(&f.br), HV_CPUID_INTERFACE, &r);
	CHECK_EQ(r.eax, HV_INTERFACE_HV1);
	bfx_stop(&f);
	CHECK_EQ(f.host.res.discarded, sizeof(noise) - 1);
	CHECK_EQ(f.host.res.bad_frames, 0);
	CHECK_EQ(f.host.res.requests, 3); /* HELLO, TIME_PAGE, CPUID */
	/* closed without DETACH: the audit is printed anyway, and it fails */
	CHECK_EQ(f.host.rc, 1);
	CHECK(strstr(f.host.outbuf, "audit: "));
	CHECK(strstr(f.host.logbuf, "closed without DETACH"));
	bfx_destroy(&f);
}

TEST(bridge_version_mismatch_is_named)
{
	static struct bfx f;

	f.cfg.devices = "heartbeat";
	bfx_start(&f);
	f.br.version = 2; /* a guest from another build */
	CHECK_EQ(bridge_attach(&f.br), -EPROTO);
	CHECK(bridge_failed(&f.br));
	CHECK_MSG(strstr(bridge_error(&f.br), "hvsim speaks bridge protocol version 1, this hvboot "
			 "speaks version 2"), "%s", bridge_error(&f.br));
	CHECK(log_has("bridge: hvsim speaks bridge protocol version 1"));
	bfx_stop(&f);
	CHECK(strstr(f.host.logbuf, "the guest speaks bridge protocol version 2, hvsim speaks "
		      "version 1"));
	CHECK_EQ(f.host.rc, 1);
	bfx_destroy(&f);
}

/* Frames hvsim must drop without answering and without losing its way:
 * a bad checksum, an impossible length, stray bytes. The next good frame
 * is answered. */
TEST(bridge_host_rejects_corrupt_frames)
{
	static struct bfx f;
	uint8_t fr[BRIDGE_FRAME_MAX];
	struct bridge_hdr h = { BRIDGE_SOF, BRIDGE_OP_CPUID, 8, 1000 };
	struct bridge_cpuid c = { 1, 0 };
	uint32_t crc;
	struct hv_cpuid r;

	f.cfg.devices = "heartbeat";
	bfx_start(&f);
	bfx_attach_ok(&f);
	/* A CPUID frame with its checksum off by one. Pick a seq whose
	 * trailing bytes hold no start byte, so that resynchronising on them
	 * cannot swallow the next frame (see hvsim(1)). */
	for (;; h.seq++) {
		memcpy(fr, &h, sizeof(h));
		memcpy(fr + sizeof(h), &c, sizeof(c));
		crc = crc32(fr, sizeof(h) + sizeof(c)) + 1;
		memcpy(fr + sizeof(h) + sizeof(c), &crc, 4);
		if (!memchr(fr + 1, BRIDGE_SOF, sizeof(h) + sizeof(c) + 4 - 1))
			break;
	}
	CHECK(send(f.gfd, fr, sizeof(h) + sizeof(c) + 4, 0) > 0);
	/* a header claiming 200 payload bytes */
	h.len = 200;
	h.seq = 2000;
	CHECK(send(f.gfd, &h, sizeof(h), 0) == sizeof(h));
	CHECK(send(f.gfd, "noise", 5, 0) == 5);
	/* the bridge's own next request goes through */
	hv_cpuid(bridge_seam(&f.br), HV_CPUID_INTERFACE, &r);
	CHECK_MSG(!bridge_failed(&f.br), "%s", bridge_error(&f.br));
	CHECK_EQ(r.eax, HV_INTERFACE_HV1);
	bfx_stop(&f);
	CHECK_EQ(f.host.res.bad_frames, 2);
	CHECK(strstr(f.host.logbuf, "bad checksum"));
	CHECK(strstr(f.host.logbuf, "it claims 200 payload bytes (at most 32)"));
	CHECK(strstr(f.host.logbuf, "discarded byte 0x6e between frames"));
	CHECK_EQ(f.host.res.requests, 3);
	bfx_destroy(&f);
}

/* After DETACH hvsim is deaf: Linux may probe the UART. */
TEST(bridge_ignores_bytes_after_detach)
{
	static struct bfx f;
	static const char probe[] = "\x16\x16hvboot-bridge-sync\x16\x16\xb7\x01\x08\x00 Linux";
	struct pollfd p;

	f.cfg.devices = "heartbeat";
	bfx_start(&f);
	bfx_attach_ok(&f);
	CHECK_EQ(bridge_detach(&f.br, NULL), 0);
	CHECK(send(f.gfd, probe, sizeof(probe) - 1, 0) > 0);
	p = (struct pollfd){ .fd = f.gfd, .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 200), 0); /* no answer */
	bfx_stop(&f);
	CHECK(f.host.res.detached);
	CHECK_EQ(f.host.res.ignored, sizeof(probe) - 1);
	/* no VMBus was ever connected: the audit says so */
	CHECK_EQ(f.host.rc, 1);
	CHECK(strstr(f.host.outbuf, "audit: VMBus still connected (no UNLOAD)"));
	bfx_destroy(&f);
}
