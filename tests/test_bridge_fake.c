/* The bridge's guest side (arch/bridge.c) against fake hosts, for what
 * hvsim never does: silence, a host that stops answering or hangs up, a
 * time page that stops, replies with a bad checksum, a wrong seq or an
 * ERROR; and the clock at its edges (a failure, after DETACH, near 2^64)
 * against a host scripted in memory. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/crc32.h"
#include "bridge_util.h"

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
	bfx_ram_create(&f->ram);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	*k = (struct fake){ f, sv[1], mode, 0 };
	CHECK(pthread_create(&k->th, NULL, fake_main, k) == 0);
	bfx_guest_init(f, sv[0]);
}

static void fake_stop(struct bfx *f, struct fake *k)
{
	close(f->gfd);
	pthread_join(k->th, NULL);
	close(k->fd);
	bfx_ram_destroy(&f->ram);
	hvb_log_set_sink(NULL, NULL);
}

TEST(bridge_silent_host_times_out)
{
	static struct bfx f;
	static struct fake k;
	uint64_t t0 = bfx_mono_us(), took;

	fake_start(&f, &k, FAKE_SILENT);
	CHECK_EQ(bridge_attach(&f.br), -ETIMEDOUT);
	took = bfx_mono_us() - t0;
	CHECK_MSG(took >= BRIDGE_TIMEOUT_US && took < BRIDGE_TIMEOUT_US + 500000, "%llu us",
		  (unsigned long long)took);
	CHECK_MSG(strstr(bridge_error(&f.br), "no answer to HELLO (seq 1) within 2000 ms: is hvsim "
			 "--bridge running and connected to COM2?"), "%s", bridge_error(&f.br));
	CHECK(log_has("bridge: no answer to HELLO"));
	/* failed for good: no second wait */
	t0 = bfx_mono_us();
	CHECK_EQ(bridge_attach(&f.br), -EIO);
	CHECK(bfx_mono_us() - t0 < 100000);
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
	bfx_attach_ok(&f);
	s = bridge_seam(&f.br);
	t0 = bfx_mono_us();
	CHECK_EQ(hv_init(&f.hv, s), -ENODEV); /* CPUID timed out: reads as no hypervisor */
	took = bfx_mono_us() - t0;
	CHECK_MSG(took < BRIDGE_TIMEOUT_US + 500000, "%llu us", (unsigned long long)took);
	CHECK(bridge_failed(&f.br));
	CHECK_MSG(strstr(bridge_error(&f.br), "no answer to CPUID 0x1 (seq 3) within 2000 ms"), "%s",
		  bridge_error(&f.br));
	t0 = bfx_mono_us();
	CHECK_EQ(hv_rdmsr(s, HV_MSR_SIMP), 0);
	CHECK_EQ(s->hypercall(s, 0x5c, 0, 0), 0x0002); /* HV_STATUS_INVALID_HYPERCALL_CODE */
	a = hv_rdmsr(s, HV_MSR_TIME_REF_COUNT);
	usleep(20000);
	b = hv_rdmsr(s, HV_MSR_TIME_REF_COUNT);
	CHECK(b >= a + 150000); /* 20 ms in 100 ns units, from the local clock */
	CHECK(bfx_mono_us() - t0 < 100000);
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
	bfx_attach_ok(&f);
	t0 = bfx_mono_us();
	first = hv_rdmsr(bridge_seam(&f.br), HV_MSR_TIME_REF_COUNT);
	CHECK_EQ(first, 12345);
	while (!bridge_failed(&f.br) && bfx_mono_us() - t0 < 3 * BRIDGE_TIMEOUT_US)
		v = hv_rdmsr(bridge_seam(&f.br), HV_MSR_TIME_REF_COUNT);
	CHECK(bridge_failed(&f.br));
	CHECK(bfx_mono_us() - t0 < BRIDGE_TIMEOUT_US + 500000);
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
	bfx_attach_ok(&f);
	t0 = bfx_mono_us();
	hv_cpuid(bridge_seam(&f.br), 1, &r);
	CHECK(bfx_mono_us() - t0 < 1000000); /* no timeout needed */
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
		bfx_attach_ok(&f);
		hv_cpuid(bridge_seam(&f.br), HV_CPUID_VENDOR, &r);
		CHECK(r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0);
		CHECK(bridge_failed(&f.br));
		CHECK_MSG(strstr(bridge_error(&f.br), cases[i].needle), "%s", bridge_error(&f.br));
		fake_stop(&f, &k);
	}
}

/* --- the clock at the edges: a scripted host in memory ------------------- */

/* The host's replies are queued before the calls that read them, and held
 * back until the guest has sent something (bridge_attach drains what is
 * there before). The clock moves 1 ms on every read, so the 2 s bounds
 * pass after 2000 reads and a failure is reached at once (fuzz_bridge_reply
 * found the bugs below this way). */
struct script {
	uint8_t in[256];
	size_t nin, pin;
	bool talked;
	uint64_t now;
	uint8_t arena[4 * 4096] __attribute__((aligned(4096)));
	struct pagepool pool;
	uint64_t bitmap[1];
	struct bridge br;
};

static int scr_put(void *ctx, uint8_t b)
{
	(void)b;
	((struct script *)ctx)->talked = true;
	return 1;
}

static int scr_get(void *ctx, uint8_t *b)
{
	struct script *s = ctx;

	if (!s->talked || s->pin == s->nin)
		return 0;
	*b = s->in[s->pin++];
	return 1;
}

static uint64_t scr_now(void *ctx)
{
	return ((struct script *)ctx)->now += 1000;
}

static void *scr_alloc(void *ctx, size_t npages)
{
	uint64_t gpa;

	return pagepool_alloc(&((struct script *)ctx)->pool, npages, &gpa);
}

static void scr_free(void *ctx, void *p, size_t npages)
{
	pagepool_free(&((struct script *)ctx)->pool, p, npages);
}

static void scr_reply(struct script *s, uint8_t op, uint32_t seq, const void *p, uint16_t len)
{
	struct bridge_hdr h = { BRIDGE_SOF, op | BRIDGE_REPLY, len, seq };
	uint8_t *f = s->in + s->nin;
	uint32_t crc;

	CHECK(s->nin + sizeof(h) + len + 4 <= sizeof(s->in));
	memcpy(f, &h, sizeof(h));
	memcpy(f + sizeof(h), p, len);
	crc = crc32(f, sizeof(h) + len);
	memcpy(f + sizeof(h) + len, &crc, 4);
	s->nin += sizeof(h) + len + 4;
}

/* Attached, with the time page holding time0 (the host never rewrites it). */
static void scr_attach(struct script *s, uint64_t time0)
{
	struct bridge_transport tr = { scr_put, scr_get, scr_now, s };
	struct bridge_mem mem = { (uintptr_t)s->arena, sizeof(s->arena), scr_alloc, scr_free, s };
	struct bridge_hello_reply hello = { BRIDGE_PROTO_VERSION, 0, sizeof(s->arena) };
	struct bridge_u64 t = { time0 };

	memset(s, 0, sizeof(*s));
	log_capture_start();
	pagepool_init(&s->pool, 0, s->arena, 4, s->bitmap);
	bridge_init(&s->br, &tr, &mem);
	scr_reply(s, BRIDGE_OP_HELLO, 1, &hello, sizeof(hello));
	scr_reply(s, BRIDGE_OP_TIME_PAGE, 2, &t, sizeof(t));
	CHECK_EQ(bridge_attach(&s->br), 0);
}

/* Reads the clock until the bridge fails (bounded); never backwards. */
static uint64_t read_until_failed(struct script *s, uint64_t prev)
{
	struct hv_seam *seam = bridge_seam(&s->br);

	for (int i = 0; i < 5000 && !bridge_failed(&s->br); i++) {
		uint64_t t = hv_rdmsr(seam, HV_MSR_TIME_REF_COUNT);

		CHECK_MSG(t >= prev, "read %d: %llu after %llu", i, (unsigned long long)t,
			  (unsigned long long)prev);
		prev = t;
	}
	CHECK(bridge_failed(&s->br));
	return prev;
}

/* The read that finds the page stale fails the bridge, and the failure
 * reads the transport's clock once more: going on from that later reading
 * must not step back (it did, by the 1 ms between the two readings). */
TEST(bridge_clock_no_step_back_when_the_page_stops)
{
	static struct script s;
	uint64_t prev, t;

	scr_attach(&s, 1000000000);
	prev = read_until_failed(&s, 1000000000);
	CHECK_MSG(strstr(bridge_error(&s.br), "the host stopped updating the time page"), "%s",
		  bridge_error(&s.br));
	t = hv_rdmsr(bridge_seam(&s.br), HV_MSR_TIME_REF_COUNT);
	CHECK(t >= prev + 10000); /* 1 ms on, in 100 ns units */
}

/* After bridge_detach the clock is a round trip the bridge refuses: it
 * fails, and the clock goes on locally instead of reading 0. */
TEST(bridge_clock_after_detach_goes_on)
{
	static struct script s;
	struct bridge_detach_reply clean = { 1, 0 };
	struct hv_seam *seam;
	uint64_t before, t;

	scr_attach(&s, 5000);
	seam = bridge_seam(&s.br);
	before = hv_rdmsr(seam, HV_MSR_TIME_REF_COUNT);
	scr_reply(&s, BRIDGE_OP_DETACH, 3, &clean, sizeof(clean));
	CHECK_EQ(bridge_detach(&s.br, NULL), 0);
	t = hv_rdmsr(seam, HV_MSR_TIME_REF_COUNT);
	CHECK_MSG(t >= before, "%llu after %llu", (unsigned long long)t, (unsigned long long)before);
	CHECK(bridge_failed(&s.br));
	CHECK_MSG(strstr(bridge_error(&s.br), "the seam was used after bridge_detach: RDMSR "
			 "0x40000020"), "%s", bridge_error(&s.br));
	CHECK(hv_rdmsr(seam, HV_MSR_TIME_REF_COUNT) > t);
}

/* A host that put a value near 2^64 in the time page: once the clock runs
 * locally it stops at the top instead of wrapping to 0, which would put
 * every deadline computed before ages ahead. */
TEST(bridge_clock_saturates_at_the_top)
{
	static struct script s;
	uint64_t prev;

	scr_attach(&s, UINT64_MAX - 5000);
	prev = read_until_failed(&s, UINT64_MAX - 5000);
	for (int i = 0; i < 10; i++) {
		uint64_t t = hv_rdmsr(bridge_seam(&s.br), HV_MSR_TIME_REF_COUNT);

		CHECK_MSG(t >= prev, "%llu after %llu", (unsigned long long)t, (unsigned long long)prev);
		prev = t;
	}
	CHECK(prev == UINT64_MAX);
}
