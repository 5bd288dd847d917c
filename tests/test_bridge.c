/* The bridge backend (arch/bridge.c) against hvsim's bridge server
 * (sim/bridge_server.c), as hvboot.efi in QEMU will use them: guest RAM is
 * a file both sides map shared (the guest at its own address, so pointer =
 * base + GPA with base != 0), the primitives travel as frames over a
 * stream socket, and the real guest stack runs on top. Fake hosts cover the
 * failures a real one should never show: silence, corrupt replies, a
 * clock that stops. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../arch/bridge.h"
#include "../arch/bridge_proto.h"
#include "../boot/echo.h"
#include "../lib/crc32.h"
#include "../lib/pagepool.h"
#include "../lib/util.h"
#include "../vsc/storvsc.h"
#include "fixture.h"

#define HVSIM_BIN "build/hvsim"
#define RAM_MIB 64
#define POOL_START (8u << 20) /* the guest's allocator: GPAs [8 MiB, RAM_MIB) */
#define DISK_MIB 4

static_assert(BRIDGE_TIME_MSR == HV_MSR_TIME_REF_COUNT, "the time page replaces TIME_REF_COUNT");

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* --- guest RAM: a file both sides map ------------------------------------ */

struct ram {
	char path[40];
	uint8_t *map;
	size_t size;
	struct pagepool pool;
	uint64_t bitmap[(RAM_MIB << 20) / 4096 / 64];
};

static void ram_create(struct ram *r)
{
	int fd;

	snprintf(r->path, sizeof(r->path), "/tmp/hvboot-ram-XXXXXX");
	fd = mkstemp(r->path);
	CHECK(fd >= 0);
	r->size = (size_t)RAM_MIB << 20;
	CHECK(ftruncate(fd, (off_t)r->size) == 0);
	r->map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(r->map != MAP_FAILED);
	close(fd);
	/* The guest's page allocator over part of its RAM, as the boot code
	 * will set pages aside before ExitBootServices. */
	pagepool_init(&r->pool, POOL_START, r->map + POOL_START, (r->size - POOL_START) / 4096,
		      r->bitmap);
}

static void ram_destroy(struct ram *r)
{
	munmap(r->map, r->size);
	unlink(r->path);
}

static void *ram_alloc(void *ctx, size_t npages)
{
	uint64_t gpa;

	return pagepool_alloc(&((struct ram *)ctx)->pool, npages, &gpa);
}

static void ram_free(void *ctx, void *p, size_t npages)
{
	pagepool_free(&((struct ram *)ctx)->pool, p, npages);
}

/* --- the guest's transport: a stream socket ------------------------------ */

/* Buffered both ways, as a UART's FIFOs are: put collects a frame, get
 * sends it before looking for the answer. */
struct sock_tr {
	int fd;
	uint8_t out[256], in[256];
	size_t nout, nin, pin;
};

static int st_flush(struct sock_tr *t)
{
	size_t done = 0;

	while (done < t->nout) {
		ssize_t w = send(t->fd, t->out + done, t->nout - done, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	t->nout = 0;
	return 0;
}

static int st_put(void *ctx, uint8_t b)
{
	struct sock_tr *t = ctx;

	if (t->nout == sizeof(t->out) && st_flush(t))
		return -1;
	t->out[t->nout++] = b;
	return 1;
}

static int st_get(void *ctx, uint8_t *b)
{
	struct sock_tr *t = ctx;
	ssize_t r;

	if (t->nout && st_flush(t))
		return -1;
	if (t->pin == t->nin) {
		r = recv(t->fd, t->in, sizeof(t->in), MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (r <= 0)
			return -1; /* closed or broken */
		t->nin = (size_t)r;
		t->pin = 0;
	}
	*b = t->in[t->pin++];
	return 1;
}

static uint64_t st_now(void *ctx)
{
	(void)ctx;
	return mono_us();
}

/* --- a bridge guest with hvsim's bridge server in a thread --------------- */

struct host {
	struct hvsim *sim;
	int fd;
	FILE *out, *log;
	char *outbuf, *logbuf;
	size_t outlen, loglen;
	struct hvsim_bridge_result res;
	int rc;
	pthread_t th;
};

struct bfx {
	struct ram ram;
	struct hvsim_config cfg;
	struct host host;
	int gfd;             /* the guest's end of the socket */
	struct sock_tr tr;
	struct bridge br;
	struct hv hv;
	struct vmbus vb;
	const char *disks[2];
};

static void *host_main(void *arg)
{
	struct host *h = arg;

	h->rc = hvsim_bridge_serve(h->sim, h->fd, h->out, h->log, &h->res);
	return NULL;
}

static void guest_init(struct bfx *f, int fd)
{
	struct bridge_transport tr = { st_put, st_get, st_now, &f->tr };
	struct bridge_mem mem = { (uintptr_t)f->ram.map, 0, ram_alloc, ram_free, &f->ram };

	f->gfd = fd;
	f->tr.fd = fd;
	bridge_init(&f->br, &tr, &mem);
}

/* hvsim in bridge mode on f->cfg (devices, disks), serving one end of a
 * socketpair in a thread; the guest gets the other end. */
static void bfx_start(struct bfx *f)
{
	int sv[2];

	log_capture_start();
	ram_create(&f->ram);
	f->cfg.seed = 1;
	f->cfg.guest_ram = f->ram.path;
	f->host.sim = hvsim_create(&f->cfg);
	CHECK(f->host.sim != NULL);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	f->host.fd = sv[1];
	f->host.out = open_memstream(&f->host.outbuf, &f->host.outlen);
	f->host.log = open_memstream(&f->host.logbuf, &f->host.loglen);
	CHECK(f->host.out && f->host.log);
	CHECK(pthread_create(&f->host.th, NULL, host_main, &f->host) == 0);
	guest_init(f, sv[0]);
}

/* The guest hangs up (QEMU exits); the server returns. */
static void bfx_stop(struct bfx *f)
{
	close(f->gfd);
	pthread_join(f->host.th, NULL);
	fclose(f->host.out);
	fclose(f->host.log);
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "--- hvsim out ---\n%s--- hvsim log ---\n%s---\n", f->host.outbuf,
			f->host.logbuf);
}

static void bfx_destroy(struct bfx *f)
{
	close(f->host.fd);
	hvsim_destroy(f->host.sim);
	free(f->host.outbuf);
	free(f->host.logbuf);
	ram_destroy(&f->ram);
	for (unsigned i = 0; i < 2; i++)
		if (f->disks[i])
			unlink(f->disks[i]);
	hvb_log_set_sink(NULL, NULL);
}

static void attach_ok(struct bfx *f)
{
	int rc = bridge_attach(&f->br);

	CHECK_MSG(rc == 0, "bridge_attach: %d: %s", rc, bridge_error(&f->br));
}

/* A disk whose every 8 bytes hold lba << 16 | word index. */
static const char *make_disk(void)
{
	static char path[40];
	uint64_t buf[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/hvboot-disk-XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	for (uint64_t lba = 0; lba < DISK_MIB * 2048u; lba++) {
		for (unsigned i = 0; i < 64; i++)
			buf[i] = lba << 16 | i;
		CHECK(write(fd, buf, sizeof(buf)) == sizeof(buf));
	}
	close(fd);
	return path;
}

static bool check_blocks(const void *p, uint64_t lba, uint64_t count)
{
	const uint64_t *w = p;

	for (uint64_t b = 0; b < count; b++)
		for (unsigned i = 0; i < 64; i++)
			if (w[b * 64 + i] != ((lba + b) << 16 | i))
				return false;
	return true;
}

/* The guest stack on the bridge seam, as hvboot.efi will run it: detection
 * and SynIC, VMBus, the inventory, the echo device both ways (inband and
 * GPA-direct into the shared RAM), a storvsc read, the teardown. */
static void run_guest_stack(struct bfx *f, bool with_disk)
{
	struct hv_seam *seam = bridge_seam(&f->br);
	static struct echo_client ec;
	static struct storvsc sc;
	struct vmbus_offer *o = NULL;
	char *inv = NULL;
	size_t invlen = 0;
	FILE *m = open_memstream(&inv, &invlen);
	uint64_t gpa;
	uint8_t *buf;
	int rc;

	rc = hv_init(&f->hv, seam);
	if (rc)
		log_dump();
	CHECK_EQ(rc, 0);
	rc = vmbus_connect(&f->vb, &f->hv, &fx_short_timeouts);
	if (rc)
		log_dump();
	CHECK_EQ(rc, 0);
	vmbus_inventory(&f->vb, fputs_line, m);
	fclose(m);
	CHECK_MSG(strstr(inv, "VMBus 6.0 (COPPER)"), "%s", inv);
	CHECK_MSG(strstr(inv, "Synthetic SCSI controller"), "%s", inv);
	free(inv);

	CHECK_EQ(echo_open(&ec, &f->vb, 16384), 0);
	rc = echo_exercise(&ec, 100, 400, 7);
	if (rc)
		log_dump();
	CHECK_EQ(rc, 0);
	CHECK_EQ(vmbus_channel_close(&ec.ch), 0);

	if (with_disk) {
		for (unsigned i = 0; i < f->vb.noffers; i++)
			if (strcmp(vmbus_class_name(&f->vb.offers[i].type), "Synthetic SCSI controller") == 0)
				o = &f->vb.offers[i];
		CHECK(o != NULL);
		CHECK_EQ(storvsc_attach(&sc, &f->vb, o, NULL), 0);
		CHECK_EQ(sc.nluns, 1);
		buf = seam->alloc(seam, 256, &gpa); /* 1 MiB, straight into the shared RAM */
		CHECK(buf != NULL);
		CHECK(gpa >= POOL_START && buf == f->ram.map + gpa);
		CHECK_EQ(blkdev_read(&storvsc_lun(&sc, 0)->dev, 100, 2048, buf), 0);
		CHECK(check_blocks(buf, 100, 2048));
		seam->free(seam, buf, 256);
		CHECK_EQ(storvsc_detach(&sc), 0);
	}
	CHECK_EQ(vmbus_shutdown(&f->vb), 0);
	hv_teardown(&f->hv);
}

TEST(bridge_full_stack_audit_clean)
{
	static struct bfx f;
	struct bridge_stats st;
	bool clean = false;
	uint64_t before;

	f.disks[0] = make_disk();
	f.cfg.disks = f.disks;
	f.cfg.devices = "storvsc,echo,heartbeat";
	bfx_start(&f);
	attach_ok(&f);
	CHECK_EQ(f.br.host_version, BRIDGE_PROTO_VERSION);
	CHECK_EQ(f.br.host_ram, (uint64_t)RAM_MIB << 20);
	CHECK(log_has("bridge: attached to hvsim (protocol 1, 64 MiB of guest RAM"));
	run_guest_stack(&f, true);
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
	attach_ok(&f);
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
	attach_ok(&f);
	t0 = mono_us();
	for (unsigned i = 0; i < n; i++)
		hv_cpuid(bridge_seam(&f.br), HV_CPUID_VENDOR, &r);
	us = mono_us() - t0;
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
	attach_ok(&f);
	reqs = f.br.stats.requests;
	prev = hv_rdmsr(bridge_seam(&f.br), HV_MSR_TIME_REF_COUNT);
	t0 = mono_us();
	while (mono_us() - t0 < 200000) {
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
	attach_ok(&f);
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
	attach_ok(&f);
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
	attach_ok(&f);
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

/* --- fake hosts ---------------------------------------------------------- */

enum fake_mode {
	FAKE_SILENT,        /* reads, never answers */
	FAKE_THEN_SILENT,   /* HELLO and TIME_PAGE, then silence (the time page never moves) */
	FAKE_THEN_CLOSE,    /* HELLO and TIME_PAGE, then hangs up */
	FAKE_BAD_CRC,       /* HELLO and TIME_PAGE, then a reply with a bad checksum */
	FAKE_WRONG_SEQ,     /* HELLO and TIME_PAGE, then a reply for another request */
	FAKE_ERROR,         /* HELLO and TIME_PAGE, then an ERROR reply */
};

struct fake {
	struct bfx *f;
	int fd;
	enum fake_mode mode;
	pthread_t th;
};

static bool read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (uint8_t *)p + got, n - got);

		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static void fake_reply(int fd, const struct bridge_hdr *rq, uint8_t op, const void *p, uint16_t len,
		       uint32_t crc_xor)
{
	uint8_t fr[BRIDGE_FRAME_MAX];
	struct bridge_hdr h = { BRIDGE_SOF, op | BRIDGE_REPLY, len, rq->seq };
	uint32_t crc;

	memcpy(fr, &h, sizeof(h));
	if (len)
		memcpy(fr + sizeof(h), p, len);
	crc = crc32(fr, sizeof(h) + len) ^ crc_xor;
	memcpy(fr + sizeof(h) + len, &crc, 4);
	CHECK(write(fd, fr, sizeof(h) + len + 4) > 0);
}

static void *fake_main(void *arg)
{
	struct fake *k = arg;
	uint8_t c, payload[64];
	size_t matched = 0;
	struct bridge_hdr h;

	/* the sync string */
	while (matched < BRIDGE_SYNC_LEN && read_full(k->fd, &c, 1))
		matched = c == (uint8_t)BRIDGE_SYNC[matched] ? matched + 1 : (c == 0x16 ? 1 : 0);
	while (read_full(k->fd, &h, sizeof(h)) && h.len <= BRIDGE_MAX_PAYLOAD &&
	       read_full(k->fd, payload, h.len + 4u)) {
		if (k->mode == FAKE_SILENT)
			continue;
		if (h.op == BRIDGE_OP_HELLO) {
			struct bridge_hello_reply rp = { BRIDGE_PROTO_VERSION, 0, k->f->ram.size };

			fake_reply(k->fd, &h, h.op, &rp, sizeof(rp), 0);
		} else if (h.op == BRIDGE_OP_TIME_PAGE) {
			struct bridge_u64 rq, rp = { 12345 };

			memcpy(&rq, payload, sizeof(rq));
			memcpy(k->f->ram.map + rq.value, &rp.value, 8); /* once, never again */
			fake_reply(k->fd, &h, h.op, &rp, sizeof(rp), 0);
		} else if (k->mode == FAKE_THEN_CLOSE) {
			shutdown(k->fd, SHUT_RDWR);
			break;
		} else if (k->mode == FAKE_BAD_CRC || k->mode == FAKE_WRONG_SEQ) {
			struct bridge_cpuid_reply rp = { 0, 0, 0, 0 };

			if (k->mode == FAKE_WRONG_SEQ)
				h.seq += 7;
			fake_reply(k->fd, &h, h.op, &rp, sizeof(rp), k->mode == FAKE_BAD_CRC ? 1 : 0);
		} else if (k->mode == FAKE_ERROR) {
			struct bridge_error e = { BRIDGE_ERR_BAD_OP, h.op };

			fake_reply(k->fd, &h, BRIDGE_OP_ERROR, &e, sizeof(e), 0);
		}
	}
	return NULL;
}

static void fake_start(struct bfx *f, struct fake *k, enum fake_mode mode)
{
	int sv[2];

	log_capture_start();
	ram_create(&f->ram);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	*k = (struct fake){ f, sv[1], mode, 0 };
	CHECK(pthread_create(&k->th, NULL, fake_main, k) == 0);
	guest_init(f, sv[0]);
}

static void fake_stop(struct bfx *f, struct fake *k)
{
	close(f->gfd);
	pthread_join(k->th, NULL);
	close(k->fd);
	ram_destroy(&f->ram);
	hvb_log_set_sink(NULL, NULL);
}

TEST(bridge_silent_host_times_out)
{
	static struct bfx f;
	static struct fake k;
	uint64_t t0 = mono_us(), took;

	fake_start(&f, &k, FAKE_SILENT);
	CHECK_EQ(bridge_attach(&f.br), -ETIMEDOUT);
	took = mono_us() - t0;
	CHECK_MSG(took >= BRIDGE_TIMEOUT_US && took < BRIDGE_TIMEOUT_US + 500000, "%llu us",
		  (unsigned long long)took);
	CHECK_MSG(strstr(bridge_error(&f.br), "no answer to HELLO (seq 1) within 2000 ms: is hvsim "
			 "--bridge running and connected to COM2?"), "%s", bridge_error(&f.br));
	CHECK(log_has("bridge: no answer to HELLO"));
	/* failed for good: no second wait */
	t0 = mono_us();
	CHECK_EQ(bridge_attach(&f.br), -EIO);
	CHECK(mono_us() - t0 < 100000);
	fake_stop(&f, &k);
}

/* A host that stops answering mid-run: one timeout, then every primitive
 * fails at once with a value that stops its caller, and the clock keeps
 * going so no wait above can hang. */
TEST(bridge_host_stops_answering)
{
	static struct bfx f;
	static struct fake k;
	struct hv_seam *s;
	uint64_t t0, took, a, b;

	fake_start(&f, &k, FAKE_THEN_SILENT);
	attach_ok(&f);
	s = bridge_seam(&f.br);
	t0 = mono_us();
	CHECK_EQ(hv_init(&f.hv, s), -ENODEV); /* CPUID timed out: reads as no hypervisor */
	took = mono_us() - t0;
	CHECK_MSG(took < BRIDGE_TIMEOUT_US + 500000, "%llu us", (unsigned long long)took);
	CHECK(bridge_failed(&f.br));
	CHECK_MSG(strstr(bridge_error(&f.br), "no answer to CPUID 0x1 (seq 3) within 2000 ms"), "%s",
		  bridge_error(&f.br));
	t0 = mono_us();
	CHECK_EQ(hv_rdmsr(s, HV_MSR_SIMP), 0);
	CHECK_EQ(s->hypercall(s, 0x5c, 0, 0), 0x0002); /* HV_STATUS_INVALID_HYPERCALL_CODE */
	a = hv_rdmsr(s, HV_MSR_TIME_REF_COUNT);
	usleep(20000);
	b = hv_rdmsr(s, HV_MSR_TIME_REF_COUNT);
	CHECK(b >= a + 150000); /* 20 ms in 100 ns units, from the local clock */
	CHECK(mono_us() - t0 < 100000);
	fake_stop(&f, &k);
}

/* The host's clock stops (hvsim died but the socket lingers): after the
 * bound, the clock reads say so and go on locally. */
TEST(bridge_stale_time_page_fails_and_clock_goes_on)
{
	static struct bfx f;
	static struct fake k;
	uint64_t t0, v, first;

	fake_start(&f, &k, FAKE_THEN_SILENT);
	attach_ok(&f);
	t0 = mono_us();
	first = hv_rdmsr(bridge_seam(&f.br), HV_MSR_TIME_REF_COUNT);
	CHECK_EQ(first, 12345);
	while (!bridge_failed(&f.br) && mono_us() - t0 < 3 * BRIDGE_TIMEOUT_US)
		v = hv_rdmsr(bridge_seam(&f.br), HV_MSR_TIME_REF_COUNT);
	CHECK(bridge_failed(&f.br));
	CHECK(mono_us() - t0 < BRIDGE_TIMEOUT_US + 500000);
	CHECK_MSG(strstr(bridge_error(&f.br), "the host stopped updating the time page at GPA 0x"),
		  "%s", bridge_error(&f.br));
	usleep(10000);
	v = hv_rdmsr(bridge_seam(&f.br), HV_MSR_TIME_REF_COUNT);
	CHECK(v >= first + 50000);
	fake_stop(&f, &k);
}

TEST(bridge_host_hangs_up)
{
	static struct bfx f;
	static struct fake k;
	struct hv_cpuid r;
	uint64_t t0;

	fake_start(&f, &k, FAKE_THEN_CLOSE);
	attach_ok(&f);
	t0 = mono_us();
	hv_cpuid(bridge_seam(&f.br), 1, &r);
	CHECK(mono_us() - t0 < 1000000); /* no timeout needed */
	CHECK_EQ(r.ecx, 0);
	CHECK_MSG(strstr(bridge_error(&f.br), "the transport failed while waiting for the reply to "
			 "CPUID 0x1"), "%s", bridge_error(&f.br));
	fake_stop(&f, &k);
}

/* Replies the guest must refuse: bad checksum, another request's seq, an
 * ERROR. Each fails the bridge with a sentence naming the request. */
TEST(bridge_guest_rejects_bad_replies)
{
	static const struct {
		enum fake_mode mode;
		int rc;
		const char *needle;
	} cases[] = {
		{ FAKE_BAD_CRC, -EPROTO, "the reply to CPUID 0x40000000 (seq 3) has a bad checksum" },
		{ FAKE_WRONG_SEQ, -EPROTO, "the reply to CPUID 0x40000000 (seq 3) carries seq 10" },
		{ FAKE_ERROR, -EIO, "hvsim refused CPUID 0x40000000 (seq 3): unknown op (error 2)" },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		static struct bfx f;
		static struct fake k;
		struct hv_cpuid r = { 1, 1, 1, 1 };

		memset(&f, 0, sizeof(f));
		fake_start(&f, &k, cases[i].mode);
		attach_ok(&f);
		hv_cpuid(bridge_seam(&f.br), HV_CPUID_VENDOR, &r);
		CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
		CHECK(bridge_failed(&f.br));
		CHECK_MSG(strstr(bridge_error(&f.br), cases[i].needle), "%s", bridge_error(&f.br));
		fake_stop(&f, &k);
	}
}

/* --- the hvsim command --------------------------------------------------- */

struct proc {
	pid_t pid;
	int out, err; /* its stdout and stderr */
	char errbuf[4096], outbuf[4096];
	size_t nerr, nout;
};

static void proc_spawn(struct proc *p, const char *const argv[])
{
	int o[2], e[2];

	CHECK(pipe(o) == 0 && pipe(e) == 0);
	p->pid = fork();
	CHECK(p->pid >= 0);
	if (p->pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	p->out = o[0];
	p->err = e[0];
}

/* Reads fd into buf until needle shows or timeout_ms passes. */
static bool read_until(int fd, char *buf, size_t cap, size_t *n, const char *needle, int timeout_ms)
{
	uint64_t end = mono_us() + (uint64_t)timeout_ms * 1000;

	while (!strstr(buf, needle) && mono_us() < end && *n + 1 < cap) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pf, 1, 50) <= 0)
			continue;
		r = read(fd, buf + *n, cap - 1 - *n);
		if (r <= 0)
			break;
		*n += (size_t)r;
		buf[*n] = '\0';
	}
	return strstr(buf, needle) != NULL;
}

/* Waits (bounded) for the process; its exit status, or -1. */
static int proc_wait(struct proc *p, int timeout_ms)
{
	uint64_t end = mono_us() + (uint64_t)timeout_ms * 1000;
	int st;

	while (mono_us() < end) {
		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			read_until(p->out, p->outbuf, sizeof(p->outbuf), &p->nout, "\x01", 100);
			read_until(p->err, p->errbuf, sizeof(p->errbuf), &p->nerr, "\x01", 100);
			close(p->out);
			close(p->err);
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		usleep(10000);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &st, 0);
	return -1;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	CHECK(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	CHECK_MSG(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0, "connect %s: %s", path,
		  strerror(errno));
	return fd;
}

/* hvsim --bridge as a script runs it before QEMU: it says it listens, serves
 * the whole stack, prints "audit: clean" and exits 0 when the guest hangs up
 * after DETACH. */
TEST(bridge_hvsim_command)
{
	static struct bfx f;
	static struct proc p;
	char sock[64], line[128];
	bool clean = false;
	int rc;

	if (access(HVSIM_BIN, X_OK) != 0)
		test_skip(HVSIM_BIN " is not built (run make test)");
	log_capture_start();
	ram_create(&f.ram);
	f.disks[0] = make_disk();
	snprintf(sock, sizeof(sock), "/tmp/hvboot-bridge-%d.sock", (int)getpid());
	{
		const char *argv[] = { HVSIM_BIN,  "--bridge", sock,     "--guest-ram", f.ram.path,
				       "--disk",   f.disks[0], "--devices", "storvsc,echo", NULL };

		proc_spawn(&p, argv);
	}
	snprintf(line, sizeof(line), "hvsim: bridge listening on %s\n", sock);
	CHECK_MSG(read_until(p.err, p.errbuf, sizeof(p.errbuf), &p.nerr, line, 10000), "stderr: %s",
		  p.errbuf);
	guest_init(&f, connect_unix(sock));
	attach_ok(&f);
	run_guest_stack(&f, true);
	{
		struct hv_cpuid r;
		uint64_t t0 = mono_us(), n0 = f.br.stats.requests;

		for (int i = 0; i < 1000; i++)
			hv_cpuid(bridge_seam(&f.br), HV_CPUID_VENDOR, &r);
		printf("    1000 CPUID round trips to the hvsim process over a unix socket: %.1f us "
		       "each\n", (double)(mono_us() - t0) / 1000.0);
		CHECK_EQ(f.br.stats.requests, n0 + 1000);
	}
	CHECK_EQ(bridge_detach(&f.br, &clean), 0);
	CHECK(clean);
	CHECK(read_until(p.out, p.outbuf, sizeof(p.outbuf), &p.nout, "audit: clean\n", 5000));
	close(f.gfd); /* QEMU exits */
	rc = proc_wait(&p, 10000);
	CHECK_MSG(rc == 0, "hvsim exited %d; stderr: %s", rc, p.errbuf);
	CHECK_EQ(strcmp(p.outbuf, "audit: clean\n"), 0);
	CHECK(access(sock, F_OK) != 0); /* it removed its socket */
	ram_destroy(&f.ram);
	unlink(f.disks[0]);
}

/* The guest goes away without DETACH: non-zero, with the audit anyway. */
TEST(bridge_hvsim_command_without_detach)
{
	static struct bfx f;
	static struct proc p;
	char sock[64];
	int rc;

	if (access(HVSIM_BIN, X_OK) != 0)
		test_skip(HVSIM_BIN " is not built (run make test)");
	log_capture_start();
	ram_create(&f.ram);
	snprintf(sock, sizeof(sock), "/tmp/hvboot-bridge-%d.sock", (int)getpid());
	{
		const char *argv[] = { HVSIM_BIN, "--bridge", sock, "--guest-ram", f.ram.path, NULL };

		proc_spawn(&p, argv);
	}
	CHECK(read_until(p.err, p.errbuf, sizeof(p.errbuf), &p.nerr, "bridge listening on", 10000));
	guest_init(&f, connect_unix(sock));
	attach_ok(&f);
	CHECK_EQ(hv_init(&f.hv, bridge_seam(&f.br)), 0);
	close(f.gfd); /* crash: no teardown, no DETACH */
	rc = proc_wait(&p, 10000);
	CHECK_EQ(rc, 1);
	CHECK_MSG(strstr(p.outbuf, "audit: ") && strstr(p.outbuf, "SIMP enabled"), "%s", p.outbuf);
	CHECK_MSG(strstr(p.errbuf, "closed without DETACH"), "%s", p.errbuf);
	ram_destroy(&f.ram);
}

TEST(bridge_hvsim_command_refuses_bad_ram)
{
	static struct proc p;
	const char *argv[] = { HVSIM_BIN, "--bridge", "/tmp/hvboot-bridge-never.sock", "--guest-ram",
			       "/nonexistent/ram", NULL };

	if (access(HVSIM_BIN, X_OK) != 0)
		test_skip(HVSIM_BIN " is not built (run make test)");
	proc_spawn(&p, argv);
	CHECK_EQ(proc_wait(&p, 10000), 2);
	CHECK_MSG(strstr(p.errbuf, "cannot open the guest RAM file /nonexistent/ram"), "%s", p.errbuf);
	CHECK(!strstr(p.errbuf, "listening"));
}
