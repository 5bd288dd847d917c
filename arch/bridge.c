/* The bridge backend of the hypervisor seam (see bridge.h and
 * bridge_proto.h). Runs after ExitBootServices in the image and hosted in
 * the tests, so it uses nothing from a libc but string.h: the failure
 * sentence is put together by hand, and logging goes through lib/log.
 *
 * The host is untrusted like every host: each reply is checked (start
 * byte, length, checksum, sequence number, op, payload size) before a byte
 * of it is used, and every wait ends at a deadline on the transport's own
 * clock. Nothing is retried: a request that fails leaves the bridge failed
 * with one sentence, and the callers above see values that stop them. */
#include "bridge.h"

#include <errno.h>
#include <string.h>

#include "../lib/crc32.h"
#include "../lib/log.h"
#include "bridge_proto.h"

#define BRIDGE_PAGE 4096u
/* HV_STATUS_INVALID_HYPERCALL_CODE, what native answers for a disabled
 * page: not SUCCESS and not INSUFFICIENT_BUFFERS, so no caller retries. */
#define BRIDGE_STATUS_FAILED 0x0002u
/* Stale input drained before the sync: the host never sends unasked, so
 * anything here is left from an earlier session; bounded all the same. */
#define BRIDGE_DRAIN_MAX 4096u

#define BRIDGE_OF(s) ((struct bridge *)((char *)(s)-offsetof(struct bridge, seam)))

/* The guest waits for a host running on another CPU: PAUSE eases the
 * spin (and on the target the UART is polled, so there is nothing to
 * sleep on). */
static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

static uint64_t now_us(struct bridge *b) { return b->tr.now_us(b->tr.ctx); }

/* --- the failure sentence, without snprintf ------------------------------ */

static void m_str(struct bridge *b, const char *s)
{
	size_t pos = strlen(b->error);

	while (*s && pos + 1 < sizeof(b->error))
		b->error[pos++] = *s++;
	b->error[pos] = '\0';
}

static void m_num(struct bridge *b, uint64_t v, unsigned base)
{
	char tmp[24];
	int n = 0;

	if (base == 16)
		m_str(b, "0x");
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n) {
		char c[2] = { tmp[--n], '\0' };

		m_str(b, c);
	}
}

static void m_dec(struct bridge *b, uint64_t v) { m_num(b, v, 10); }
static void m_hex(struct bridge *b, uint64_t v) { m_num(b, v, 16); }

/* "RDMSR 0x40000083 (seq 12)": the request a failure is about. */
static void m_req(struct bridge *b, uint8_t op, bool has_arg, uint64_t arg, uint32_t seq)
{
	m_str(b, bridge_op_name(op));
	if (has_arg) {
		m_str(b, " ");
		m_hex(b, arg);
	}
	m_str(b, " (seq ");
	m_dec(b, seq);
	m_str(b, ")");
}

/* Only the first failure is kept and logged: later ones follow from it. */
static bool fail_begin(struct bridge *b)
{
	if (b->failed)
		return false;
	b->error[0] = '\0';
	return true;
}

static void fail_end(struct bridge *b)
{
	b->failed = true;
	b->time_last_us = now_us(b); /* the clock goes on from here locally */
	log_err("bridge: %s", b->error);
}

/* --- requests ------------------------------------------------------------ */

struct req {
	uint8_t op;
	bool has_arg;
	uint64_t arg; /* for the sentence: the leaf, MSR, control, GPA */
	uint32_t seq;
	uint64_t t0;
};

static int fail_timeout(struct bridge *b, const struct req *r, const char *doing)
{
	if (fail_begin(b)) {
		m_str(b, doing);
		m_str(b, " ");
		m_req(b, r->op, r->has_arg, r->arg, r->seq);
		m_str(b, " within ");
		m_dec(b, b->timeout_us / 1000);
		m_str(b, " ms: is hvsim --bridge running and connected to COM2?");
		fail_end(b);
	}
	return -ETIMEDOUT;
}

static int fail_transport(struct bridge *b, const struct req *r, const char *doing)
{
	if (fail_begin(b)) {
		m_str(b, "the transport failed while ");
		m_str(b, doing);
		m_str(b, " ");
		m_req(b, r->op, r->has_arg, r->arg, r->seq);
		fail_end(b);
	}
	return -EIO;
}

/* A malformed reply: what is wrong, then about which request. */
static int fail_reply(struct bridge *b, const struct req *r, bool hex, const char *what,
		      uint64_t v1, const char *mid, uint64_t v2, const char *end)
{
	if (fail_begin(b)) {
		m_str(b, "the reply to ");
		m_req(b, r->op, r->has_arg, r->arg, r->seq);
		m_str(b, " ");
		m_str(b, what);
		m_num(b, v1, hex ? 16 : 10);
		if (mid) {
			m_str(b, mid);
			m_num(b, v2, hex ? 16 : 10);
		}
		m_str(b, end);
		fail_end(b);
	}
	return -EPROTO;
}

static int send_bytes(struct bridge *b, const struct req *r, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		int rc = b->tr.put(b->tr.ctx, p[i]);

		if (rc > 0) {
			i++;
			continue;
		}
		if (rc < 0)
			return fail_transport(b, r, "sending");
		if (now_us(b) - r->t0 >= b->timeout_us)
			return fail_timeout(b, r, "could not send");
		cpu_relax();
	}
	return 0;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One round trip. Returns the reply's payload length (the payload in rep,
 * at most BRIDGE_MAX_PAYLOAD bytes), or -errno with the bridge failed. */
static int transact(struct bridge *b, uint8_t op, bool has_arg, uint64_t arg, const void *payload,
		    uint16_t len, uint8_t *rep)
{
	uint8_t frame[BRIDGE_FRAME_MAX], in[BRIDGE_FRAME_MAX];
	struct bridge_hdr h = { BRIDGE_SOF, op, len, b->seq + 1 };
	struct req r = { op, has_arg, arg, h.seq, 0 };
	size_t got = 0, want = sizeof(h), flen = sizeof(h) + len + BRIDGE_CRC_LEN;
	uint32_t crc;
	uint64_t took;
	int rc;

	if (b->failed)
		return -EIO;
	if (b->detached) {
		if (fail_begin(b)) {
			m_str(b, "the seam was used after bridge_detach: ");
			m_req(b, op, has_arg, arg, h.seq);
			fail_end(b);
		}
		return -EIO;
	}
	b->seq = h.seq;
	memcpy(frame, &h, sizeof(h));
	if (len)
		memcpy(frame + sizeof(h), payload, len);
	crc = crc32(frame, sizeof(h) + len);
	for (unsigned i = 0; i < 4; i++)
		frame[sizeof(h) + len + i] = (uint8_t)(crc >> (8 * i));
	r.t0 = now_us(b);
	rc = send_bytes(b, &r, frame, flen);
	if (rc)
		return rc;

	/* The header first: its len says how much follows. */
	while (got < want) {
		rc = b->tr.get(b->tr.ctx, &in[got]);
		if (rc < 0)
			return fail_transport(b, &r, "waiting for the reply to");
		if (rc == 0) {
			if (now_us(b) - r.t0 >= b->timeout_us)
				return fail_timeout(b, &r, got ? "no complete answer to" : "no answer to");
			cpu_relax();
			continue;
		}
		got++;
		if (got == 1 && in[0] != BRIDGE_SOF)
			return fail_reply(b, &r, true, "starts with byte ", in[0], NULL, 0,
					  ", not a frame: is COM2 connected to hvsim --bridge?");
		if (got == sizeof(h)) {
			memcpy(&h, in, sizeof(h));
			if (h.len > BRIDGE_MAX_PAYLOAD)
				return fail_reply(b, &r, false, "claims ", h.len, NULL, 0,
						  " payload bytes (at most 32)");
			want = sizeof(h) + h.len + BRIDGE_CRC_LEN;
		}
	}
	crc = crc32(in, sizeof(h) + h.len);
	if (get_le32(in + sizeof(h) + h.len) != crc)
		return fail_reply(b, &r, true, "has a bad checksum: computed ", crc, ", received ",
				  get_le32(in + sizeof(h) + h.len), "");
	if (h.seq != r.seq)
		return fail_reply(b, &r, false, "carries seq ", h.seq, NULL, 0, "");
	if (h.op == (BRIDGE_OP_ERROR | BRIDGE_REPLY)) {
		struct bridge_error e = { 0, 0 };

		memcpy(&e, in + sizeof(h), h.len < sizeof(e) ? h.len : sizeof(e));
		if (fail_begin(b)) {
			m_str(b, "hvsim refused ");
			m_req(b, op, has_arg, arg, r.seq);
			m_str(b, ": ");
			m_str(b, bridge_err_name(e.code));
			m_str(b, " (error ");
			m_dec(b, e.code);
			m_str(b, ")");
			fail_end(b);
		}
		return e.code == BRIDGE_ERR_VERSION ? -EPROTO : -EIO;
	}
	if (h.op != (op | BRIDGE_REPLY))
		return fail_reply(b, &r, true, "has op ", h.op, NULL, 0, " instead of the request's");
	took = now_us(b) - r.t0;
	b->stats.requests++;
	b->stats.wait_us += took;
	if (took > b->stats.max_us)
		b->stats.max_us = took;
	memcpy(rep, in + sizeof(h), h.len);
	return h.len;
}

/* A round trip whose reply payload must be exactly rep_len bytes. */
static int call(struct bridge *b, uint8_t op, bool has_arg, uint64_t arg, const void *payload,
		uint16_t len, void *rep, uint16_t rep_len)
{
	uint8_t buf[BRIDGE_MAX_PAYLOAD];
	struct req r = { op, has_arg, arg, b->seq + 1, 0 };
	int n = transact(b, op, has_arg, arg, payload, len, buf);

	if (n < 0)
		return n;
	if ((uint16_t)n != rep_len)
		return fail_reply(b, &r, false, "has ", (uint64_t)n, " payload bytes; expected ", rep_len, "");
	if (rep_len)
		memcpy(rep, buf, rep_len);
	return 0;
}

/* --- the clock ----------------------------------------------------------- */

/* TIME_REF_COUNT from the time page: no round trip. A value that stands
 * still for timeout_us means the host is gone; then (as after any failure)
 * the clock goes on from the transport's microseconds, so every deadline
 * above still passes instead of a wait spinning forever. It never goes
 * backwards, whatever the page says. */
static uint64_t bridge_time(struct bridge *b)
{
	uint64_t now = now_us(b), t, d;

	if (!b->failed && b->time_page) {
		uint64_t raw = __atomic_load_n(b->time_page, __ATOMIC_ACQUIRE);

		b->stats.time_reads++;
		if (raw != b->time_raw) {
			b->time_raw = raw;
			b->time_raw_us = now;
		} else if (now - b->time_raw_us >= b->timeout_us && fail_begin(b)) {
			m_str(b, "the host stopped updating the time page at GPA ");
			m_hex(b, b->time_gpa);
			m_str(b, " (no change for ");
			m_dec(b, (now - b->time_raw_us) / 1000);
			m_str(b, " ms): is hvsim still running?");
			fail_end(b);
		}
		if (!b->failed) {
			t = raw > b->time_last ? raw : b->time_last;
			b->time_last = t;
			b->time_last_us = now;
			return t;
		}
	}
	/* A failure just now (fail_end) read the clock after now: going on
	 * from that later reading with the earlier one would step back. */
	if (now < b->time_last_us)
		now = b->time_last_us;
	/* us -> 100 ns, saturating: the page's last value is the host's word
	 * and may lie near 2^64; wrapping to 0 would step back and put every
	 * deadline above ages ahead, while at the top all of them have passed. */
	d = now - b->time_last_us;
	d = d > UINT64_MAX / 10 ? UINT64_MAX : d * 10;
	t = b->time_last > UINT64_MAX - d ? UINT64_MAX : b->time_last + d;
	b->time_last = t;
	b->time_last_us = now;
	return t;
}

/* --- the seam ------------------------------------------------------------ */

static void bridge_cpuid(struct hv_seam *s, uint32_t leaf, struct hv_cpuid *out)
{
	struct bridge *b = BRIDGE_OF(s);
	struct bridge_cpuid rq = { leaf, 0 };
	struct bridge_cpuid_reply rp;

	if (call(b, BRIDGE_OP_CPUID, true, leaf, &rq, sizeof(rq), &rp, sizeof(rp))) {
		memset(out, 0, sizeof(*out));
		return;
	}
	out->eax = rp.eax;
	out->ebx = rp.ebx;
	out->ecx = rp.ecx;
	out->edx = rp.edx;
}

static uint64_t bridge_rdmsr(struct hv_seam *s, uint32_t msr)
{
	struct bridge *b = BRIDGE_OF(s);
	struct bridge_rdmsr rq = { msr, 0 };
	struct bridge_u64 rp;

	if (msr == BRIDGE_TIME_MSR && (b->time_page || b->failed))
		return bridge_time(b);
	/* Without the time page (after bridge_detach, or before attach) the
	 * clock is a round trip. When it fails, 0 would be a step back to the
	 * beginning of time for a caller measuring from an earlier read: the
	 * clock goes on locally instead, as after any failure. */
	if (call(b, BRIDGE_OP_RDMSR, true, msr, &rq, sizeof(rq), &rp, sizeof(rp)))
		return msr == BRIDGE_TIME_MSR ? bridge_time(b) : 0;
	return rp.value;
}

static void bridge_wrmsr(struct hv_seam *s, uint32_t msr, uint64_t v)
{
	struct bridge *b = BRIDGE_OF(s);
	struct bridge_wrmsr rq = { msr, 0, v };

	/* The empty reply matters: like a VM exit, the write has taken effect
	 * before the guest goes on (e.g. SIMP is live before it is read). */
	call(b, BRIDGE_OP_WRMSR, true, msr, &rq, sizeof(rq), NULL, 0);
}

static uint64_t bridge_hypercall(struct hv_seam *s, uint64_t control, uint64_t in, uint64_t out)
{
	struct bridge *b = BRIDGE_OF(s);
	struct bridge_hypercall rq = { control, in, out };
	struct bridge_u64 rp;

	if (call(b, BRIDGE_OP_HYPERCALL, true, control, &rq, sizeof(rq), &rp, sizeof(rp)))
		return BRIDGE_STATUS_FAILED;
	return rp.value;
}

/* Memory is shared: no request. GPAs [0, limit) are guest RAM. */
static void *bridge_map(struct hv_seam *s, uint64_t gpa, size_t len)
{
	struct bridge *b = BRIDGE_OF(s);

	if (len == 0 || gpa >= b->limit || len > b->limit - gpa ||
	    gpa + len > (uint64_t)(UINTPTR_MAX - b->mem.base))
		return NULL;
	return (void *)(b->mem.base + (uintptr_t)gpa);
}

static uint64_t bridge_gpa_of(struct hv_seam *s, const void *ptr)
{
	struct bridge *b = BRIDGE_OF(s);
	uintptr_t p = (uintptr_t)ptr;

	if (p < b->mem.base || (uint64_t)(p - b->mem.base) >= b->limit)
		return UINT64_MAX;
	return (uint64_t)(p - b->mem.base);
}

static void *bridge_alloc(struct hv_seam *s, size_t npages, uint64_t *gpa)
{
	struct bridge *b = BRIDGE_OF(s);
	void *p = b->mem.alloc ? b->mem.alloc(b->mem.ctx, npages) : NULL;
	uint64_t g;

	if (!p)
		return NULL;
	g = bridge_gpa_of(s, p);
	/* The allocator is ours, but a page the host cannot see would fail
	 * much later and far away (a GPADL refused): say it here. */
	if (g == UINT64_MAX || (g & (BRIDGE_PAGE - 1)) || npages > (b->limit - g) / BRIDGE_PAGE) {
		log_err("bridge: the page allocator returned %zu page(s) at %p, outside the guest RAM "
			"the host mapped (GPAs below 0x%llx)",
			npages, p, (unsigned long long)b->limit);
		b->mem.free(b->mem.ctx, p, npages);
		return NULL;
	}
	memset(p, 0, npages * BRIDGE_PAGE);
	*gpa = g;
	return p;
}

static void bridge_free(struct hv_seam *s, void *ptr, size_t npages)
{
	struct bridge *b = BRIDGE_OF(s);

	if (ptr && b->mem.free)
		b->mem.free(b->mem.ctx, ptr, npages);
}

/* The host runs concurrently: nothing to run here, just spin politely. */
static void bridge_idle(struct hv_seam *s)
{
	(void)s;
	cpu_relax();
}

void bridge_init(struct bridge *b, const struct bridge_transport *tr, const struct bridge_mem *mem)
{
	memset(b, 0, sizeof(*b));
	b->seam = (struct hv_seam){
		.name = "bridge",
		.cpuid = bridge_cpuid,
		.rdmsr = bridge_rdmsr,
		.wrmsr = bridge_wrmsr,
		.hypercall = bridge_hypercall,
		.map = bridge_map,
		.gpa_of = bridge_gpa_of,
		.alloc = bridge_alloc,
		.free = bridge_free,
		.idle = bridge_idle,
	};
	b->tr = *tr;
	b->mem = *mem;
	b->version = BRIDGE_PROTO_VERSION;
	b->timeout_us = BRIDGE_TIMEOUT_US;
	b->limit = mem->size ? mem->size : UINT64_MAX;
}

struct hv_seam *bridge_seam(struct bridge *b) { return &b->seam; }
bool bridge_failed(const struct bridge *b) { return b->failed; }
const char *bridge_error(const struct bridge *b) { return b->error; }

static int hello(struct bridge *b)
{
	struct bridge_hello rq = { b->version, BRIDGE_HELLO_MAGIC };
	struct bridge_hello_reply rp;
	uint8_t buf[BRIDGE_MAX_PAYLOAD];
	struct req r = { BRIDGE_OP_HELLO, false, 0, b->seq + 1, 0 };
	int n = transact(b, BRIDGE_OP_HELLO, false, 0, &rq, sizeof(rq), buf);

	if (n < 0)
		return n;
	/* The version comes first in every version's reply: read it before
	 * judging the rest, so a different build is named as such. */
	if (n < 4)
		return fail_reply(b, &r, false, "has ", (uint64_t)n, " payload bytes; expected ", sizeof(rp),
				  "");
	memcpy(&b->host_version, buf, 4);
	if (b->host_version != b->version) {
		if (fail_begin(b)) {
			m_str(b, "hvsim speaks bridge protocol version ");
			m_dec(b, b->host_version);
			m_str(b, ", this hvboot speaks version ");
			m_dec(b, b->version);
			m_str(b, ": use hvsim and hvboot.efi from the same build");
			fail_end(b);
		}
		return -EPROTO;
	}
	if (n != sizeof(rp))
		return fail_reply(b, &r, false, "has ", (uint64_t)n, " payload bytes; expected ", sizeof(rp),
				  "");
	memcpy(&rp, buf, sizeof(rp));
	if (rp.ram_bytes < BRIDGE_PAGE || (rp.ram_bytes & (BRIDGE_PAGE - 1)))
		return fail_reply(b, &r, false, "reports ", rp.ram_bytes, NULL, 0,
				  " bytes of guest RAM (not a positive number of pages)");
	b->host_ram = rp.ram_bytes;
	return 0;
}

int bridge_attach(struct bridge *b)
{
	struct req r = { BRIDGE_OP_HELLO, false, 0, b->seq + 1, 0 };
	struct bridge_u64 rq, rp;
	uint8_t c;
	void *p;
	int rc;

	if (b->failed)
		return -EIO;
	if (b->attached)
		return 0;
	for (unsigned n = 0; n < BRIDGE_DRAIN_MAX; n++) {
		rc = b->tr.get(b->tr.ctx, &c);
		if (rc < 0)
			return fail_transport(b, &r, "draining stale input before");
		if (rc == 0)
			break;
	}
	r.t0 = now_us(b);
	rc = send_bytes(b, &r, (const uint8_t *)BRIDGE_SYNC, BRIDGE_SYNC_LEN);
	if (rc)
		return rc;
	rc = hello(b);
	if (rc)
		return rc;
	if (b->host_ram < b->limit)
		b->limit = b->host_ram;

	p = bridge_alloc(&b->seam, 1, &rq.value);
	if (!p) {
		if (fail_begin(b)) {
			m_str(b, "no page of guest RAM for the time page");
			fail_end(b);
		}
		return -ENOMEM;
	}
	rc = call(b, BRIDGE_OP_TIME_PAGE, true, rq.value, &rq, sizeof(rq), &rp, sizeof(rp));
	if (rc) {
		bridge_free(&b->seam, p, 1);
		return rc;
	}
	b->time_alloc = p;
	b->time_gpa = rq.value;
	b->time_page = p;
	b->time_raw = b->time_last = rp.value;
	b->time_raw_us = b->time_last_us = now_us(b);
	b->attached = true;
	log_info("bridge: attached to hvsim (protocol %u, %llu MiB of guest RAM, time page at "
		 "GPA 0x%llx)",
		 b->host_version, (unsigned long long)(b->host_ram >> 20),
		 (unsigned long long)b->time_gpa);
	return 0;
}

int bridge_detach(struct bridge *b, bool *host_clean)
{
	struct bridge_detach_reply rp;
	int rc;

	if (b->failed)
		return -EIO;
	if (!b->attached)
		return -EINVAL;
	rc = call(b, BRIDGE_OP_DETACH, false, 0, NULL, 0, &rp, sizeof(rp));
	if (rc)
		return rc;
	/* The host stopped writing the time page before it answered. */
	b->attached = false;
	b->detached = true;
	b->time_page = NULL;
	bridge_free(&b->seam, b->time_alloc, 1);
	b->time_alloc = NULL;
	if (host_clean)
		*host_clean = rp.clean == 1;
	if (rp.clean != 1)
		log_warn("bridge: hvsim's audit at DETACH was not clean (%u protocol violation(s)); "
			 "its output says what was left",
			 rp.violations);
	return 0;
}
