/* libFuzzer target: the guest side of the bridge (arch/bridge.c) talking to
 * a host whose every byte comes from the input. The bridge runs through its
 * public API only: bridge_init, bridge_attach, the seam's primitives and
 * memory functions, bridge_detach. Its transport is a fake that parses each
 * request the guest sends and then queues the bytes of the next "reply
 * record" of the input, so that a record of a byte or two can stand for a
 * correct reply and the fuzzer reaches the states after HELLO and TIME_PAGE
 * without having to forge checksums.
 *
 * Input: [config u8][nops u8][ops: nops bytes][reply records...]
 *   config bits 0-1: the clock's step per now_us call: 1 ms, 30 ms, 0.5 s,
 *                    2.1 s (every wait ends after at most 2000 reads)
 *          bits 2-3: guest memory: 0 the arena's size, 1 size 0 (HELLO
 *                    bounds map), 2 two pages (the allocator's later pages
 *                    lie outside), 3 the arena with an allocator that refuses
 *          bit 4:    the host keeps the time page moving (else it stands still)
 *          bit 5:    stale input is waiting before attach (the first record)
 *   op (after bridge_attach), low 3 bits: 0 cpuid, 1 rdmsr, 2 wrmsr,
 *          3 hypercall, 4 clock reads, 5 memory functions, 6 bridge_detach,
 *          7 bridge_attach again; the rest of the byte is the argument.
 *   record, by kind % 6:
 *          0 raw: [n u8][n bytes], served as they are
 *          1 frame: [flags u8][len u8][len bytes of payload, zero-filled]
 *            with the request's op and seq and a good checksum unless
 *            flags bit 0: op ERROR, bit 1: another op, bit 2: seq + 1,
 *            bit 3: checksum ^ 1, bit 4: the header claims len + 33
 *          2 the reply a correct host gives (HELLO: this build's version
 *            and the arena's size), the values [8 bytes] from the input
 *          3 silence (the request times out)
 *          4 the transport breaks (get and put fail from now on)
 *          5 the transmitter stalls (put never takes a byte again)
 *   Records run out: silence.
 *
 * Checked: no crash or UB; every frame the guest sends is well formed and
 * its TIME_PAGE GPA is in the arena; attach fails exactly when the bridge
 * is failed, and then with a NUL-terminated sentence; a correct reply is
 * accepted with its values; once failed, no primitive touches the
 * transport and each returns its safe value; the clock never goes
 * backwards; map only hands out arena memory when the arena bounds it. */
#include <stdint.h>
#include <string.h>

#include "../../arch/bridge.h"
#include "../../arch/bridge_proto.h"
#include "../../lib/crc32.h"
#include "../../lib/pagepool.h"
#include "fuzz_common.h"

#define PAGE 4096u
#define NPAGES 16u
#define TIME_MSR BRIDGE_TIME_MSR
#define STATUS_FAILED 0x0002u /* what a failed bridge answers a hypercall */
#define QMAX 4096u

static uint8_t arena[NPAGES * PAGE] __attribute__((aligned(4096)));
static uint64_t bitmap[(NPAGES + 63) / 64];
static struct pagepool pool;

struct fake {
	const uint8_t *rec, *end;  /* the reply records not used yet */
	uint8_t q[QMAX];           /* bytes the guest may read */
	size_t qn, qpos;
	uint8_t out[BRIDGE_FRAME_MAX]; /* the guest's request being assembled */
	size_t nout, sync_at;      /* bytes of it; sync bytes matched */
	bool broken, stalled;
	uint64_t now, step;
	unsigned calls;            /* put and get calls */
	bool ticks;
	struct bridge *br;
	/* the last request answered correctly: what the guest must return */
	bool expect;
	uint8_t exp_op;
	uint8_t exp[BRIDGE_MAX_PAYLOAD];
};

static struct fake fk;
static struct bridge br;

static void queue(struct fake *f, const void *p, size_t n)
{
	if (f->qpos == f->qn)
		f->qpos = f->qn = 0;
	if (n > QMAX - f->qn)
		n = QMAX - f->qn;
	memcpy(f->q + f->qn, p, n);
	f->qn += n;
}

static uint8_t rec_byte(struct fake *f)
{
	return f->rec < f->end ? *f->rec++ : 0;
}

static void frame(struct fake *f, uint8_t op, uint16_t len_field, uint32_t seq, const void *p,
		  uint16_t len, uint32_t crc_xor)
{
	uint8_t fr[BRIDGE_FRAME_MAX];
	struct bridge_hdr h = { BRIDGE_SOF, op, len_field, seq };
	uint32_t crc;

	memcpy(fr, &h, sizeof(h));
	memcpy(fr + sizeof(h), p, len);
	crc = crc32(fr, sizeof(h) + len) ^ crc_xor;
	memcpy(fr + sizeof(h) + len, &crc, 4);
	queue(f, fr, sizeof(h) + len + 4);
}

/* The host's answer to one well-formed request: the next record. */
static void answer(struct fake *f, const struct bridge_hdr *rq, const uint8_t *payload)
{
	uint8_t kind, flags, p[BRIDGE_MAX_PAYLOAD] = { 0 };
	bool clean_queue = f->qpos == f->qn;
	uint16_t len = 0;

	if (rq->op == BRIDGE_OP_TIME_PAGE) {
		struct bridge_u64 g;

		/* The guest allocated it from our arena: anything else is its bug. */
		memcpy(&g, payload, sizeof(g));
		if ((g.value & 7) || g.value >= sizeof(arena))
			__builtin_trap();
	}
	if (f->rec >= f->end)
		return; /* silence */
	kind = rec_byte(f) % 6;
	switch (kind) {
	case 0: {
		size_t n = rec_byte(f);

		if (n > (size_t)(f->end - f->rec))
			n = (size_t)(f->end - f->rec);
		queue(f, f->rec, n);
		f->rec += n;
		break;
	}
	case 1: {
		uint8_t op = rq->op | BRIDGE_REPLY;
		uint16_t claim;

		flags = rec_byte(f);
		len = rec_byte(f);
		claim = len;
		if (len > BRIDGE_MAX_PAYLOAD)
			len = BRIDGE_MAX_PAYLOAD;
		for (uint16_t i = 0; i < len; i++)
			p[i] = rec_byte(f);
		if (flags & 1)
			op = BRIDGE_OP_ERROR | BRIDGE_REPLY;
		if (flags & 2)
			op ^= (uint8_t)(flags >> 4) | 1;
		if (flags & 16)
			claim += BRIDGE_MAX_PAYLOAD + 1;
		frame(f, op, claim, rq->seq + ((flags & 4) ? 1 : 0), p, len, (flags & 8) ? 1 : 0);
		break;
	}
	case 2: {
		uint8_t v[8];

		for (unsigned i = 0; i < 8; i++)
			v[i] = rec_byte(f);
		switch (rq->op) {
		case BRIDGE_OP_HELLO: {
			struct bridge_hello_reply r = { BRIDGE_PROTO_VERSION, 0, sizeof(arena) };

			memcpy(p, &r, sizeof(r));
			len = sizeof(r);
			break;
		}
		case BRIDGE_OP_CPUID:
			memcpy(p, v, 8);
			memcpy(p + 8, v, 8);
			p[8] ^= 0xff;
			len = sizeof(struct bridge_cpuid_reply);
			break;
		case BRIDGE_OP_WRMSR:
			break;
		case BRIDGE_OP_DETACH:
			len = sizeof(struct bridge_detach_reply);
			memcpy(p, v, len);
			break;
		default: /* RDMSR, HYPERCALL, TIME_PAGE: a u64 */
			memcpy(p, v, 8);
			len = 8;
			break;
		}
		frame(f, rq->op | BRIDGE_REPLY, len, rq->seq, p, len, 0);
		/* Nothing stale before it: the guest must take exactly this. */
		if (clean_queue) {
			f->expect = true;
			f->exp_op = rq->op;
			memcpy(f->exp, p, len);
		}
		break;
	}
	case 3:
		break;
	case 4:
		f->broken = true;
		break;
	case 5:
		f->stalled = true;
		break;
	}
}

/* The guest's bytes: the sync string, then whole frames, all well formed. */
static int f_put(void *ctx, uint8_t b)
{
	struct fake *f = ctx;
	struct bridge_hdr h;

	f->calls++;
	if (f->broken)
		return -1;
	if (f->stalled)
		return 0;
	if (f->nout == 0 && (f->sync_at || b == (uint8_t)BRIDGE_SYNC[0])) {
		if (b != (uint8_t)BRIDGE_SYNC[f->sync_at])
			__builtin_trap();
		if (++f->sync_at == BRIDGE_SYNC_LEN)
			f->sync_at = 0;
		return 1;
	}
	if (f->nout == 0 && b != BRIDGE_SOF)
		__builtin_trap();
	f->out[f->nout++] = b;
	if (f->nout < sizeof(h))
		return 1;
	memcpy(&h, f->out, sizeof(h));
	if (h.len > BRIDGE_MAX_PAYLOAD || (h.op & BRIDGE_REPLY))
		__builtin_trap();
	if (f->nout < sizeof(h) + h.len + BRIDGE_CRC_LEN)
		return 1;
	{
		uint32_t crc = crc32(f->out, sizeof(h) + h.len), got;

		memcpy(&got, f->out + sizeof(h) + h.len, 4);
		if (got != crc)
			__builtin_trap();
	}
	f->nout = 0;
	answer(f, &h, f->out + sizeof(h));
	return 1;
}

static int f_get(void *ctx, uint8_t *b)
{
	struct fake *f = ctx;

	f->calls++;
	if (f->broken)
		return -1;
	if (f->qpos == f->qn)
		return 0;
	*b = f->q[f->qpos++];
	return 1;
}

static uint64_t f_now(void *ctx)
{
	struct fake *f = ctx;

	f->now += f->step;
	/* A live host rewrites the page it was given, in 100 ns units. */
	if (f->ticks && f->br->time_page)
		*f->br->time_page += f->step * 10;
	return f->now;
}

static bool refuse;

static void *m_alloc(void *ctx, size_t npages)
{
	uint64_t gpa;

	(void)ctx;
	return refuse ? NULL : pagepool_alloc(&pool, npages, &gpa);
}

static void m_free(void *ctx, void *p, size_t npages)
{
	(void)ctx;
	pagepool_free(&pool, p, npages);
}

static bool in_arena(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)arena;

	return a >= lo && len <= sizeof(arena) && a - lo <= sizeof(arena) - len;
}

/* The primitives' values come from the reply the host gave (answer()). */
static void check_expected(const uint8_t *got, size_t n)
{
	if (bridge_failed(&br) || memcmp(got, fk.exp, n) != 0)
		__builtin_trap();
}

static void run_op(uint8_t op, uint64_t *last_time, bool bounded)
{
	struct hv_seam *s = bridge_seam(&br);
	bool was_failed = bridge_failed(&br);
	unsigned calls = fk.calls;
	uint32_t arg = op >> 3;

	fk.expect = false;
	switch (op & 7) {
	case 0: {
		struct hv_cpuid r;

		s->cpuid(s, 0x40000000u + arg % 8, &r);
		if (fk.expect && fk.exp_op == BRIDGE_OP_CPUID)
			check_expected((const uint8_t *)&r, sizeof(r));
		if (was_failed && (r.eax | r.ebx | r.ecx | r.edx))
			__builtin_trap();
		break;
	}
	case 1: {
		uint64_t v = s->rdmsr(s, 0x40000000u + arg);

		if (fk.expect && fk.exp_op == BRIDGE_OP_RDMSR)
			check_expected((const uint8_t *)&v, sizeof(v));
		if (was_failed && v != 0)
			__builtin_trap();
		break;
	}
	case 2:
		s->wrmsr(s, 0x40000000u + arg, (uint64_t)op * 0x0101010101010101ull);
		if (fk.expect && fk.exp_op == BRIDGE_OP_WRMSR && bridge_failed(&br))
			__builtin_trap();
		break;
	case 3: {
		uint64_t v = s->hypercall(s, arg, (uint64_t)arg << 12, 0);

		if (fk.expect && fk.exp_op == BRIDGE_OP_HYPERCALL)
			check_expected((const uint8_t *)&v, sizeof(v));
		if (was_failed && v != STATUS_FAILED)
			__builtin_trap();
		break;
	}
	case 4:
		/* A few reads in a row: the page may stand still or move. */
		for (unsigned i = 0; i <= arg % 4; i++) {
			uint64_t t = s->rdmsr(s, TIME_MSR);

			if (t < *last_time)
				__builtin_trap();
			*last_time = t;
		}
		break;
	case 5: {
		uint64_t gpa = (uint64_t)(arg & 15) * PAGE + (arg & 16 ? PAGE - 8 : 0), g;
		size_t len = (arg & 16) ? 16 : PAGE;
		uint8_t *p = s->map(s, gpa, len);

		if (p) {
			if (bounded && !in_arena(p, len))
				__builtin_trap();
			if (in_arena(p, len)) {
				p[0] ^= 1;
				p[len - 1] ^= 1;
				if (s->gpa_of(s, p) != gpa)
					__builtin_trap();
			}
		}
		p = s->alloc(s, 1 + (arg & 3), &g);
		if (p) {
			if (!in_arena(p, (1 + (arg & 3)) * PAGE) || s->gpa_of(s, p) != g ||
			    (uintptr_t)p - (uintptr_t)arena != g)
				__builtin_trap();
			for (size_t i = 0; i < (1 + (arg & 3)) * PAGE; i++)
				if (p[i])
					__builtin_trap(); /* alloc zeroes */
			s->free(s, p, 1 + (arg & 3));
		}
		s->idle(s);
		break;
	}
	case 6: {
		bool clean = false;
		int rc = bridge_detach(&br, &clean);

		if (rc == 0 && (bridge_failed(&br) || br.time_page))
			__builtin_trap();
		break;
	}
	case 7: {
		int rc = bridge_attach(&br);

		if ((rc != 0) != bridge_failed(&br))
			__builtin_trap();
		break;
	}
	}
	/* Failed for good: nothing more goes over the wire. */
	if (was_failed && fk.calls != calls)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	static const uint64_t steps[4] = { 1000, 30000, 500000, 2100000 };
	struct bridge_transport tr = { f_put, f_get, f_now, &fk };
	struct bridge_mem mem = { (uintptr_t)arena, sizeof(arena), m_alloc, m_free, NULL };
	const uint8_t *ops;
	size_t nops;
	uint64_t last_time = 0;
	uint8_t cfg;
	int rc;

	if (n < 2)
		return 0;
	cfg = in[0];
	nops = in[1];
	if (nops > n - 2)
		nops = n - 2;
	ops = in + 2;

	memset(arena, 0, sizeof(arena));
	pagepool_init(&pool, 0, arena, NPAGES, bitmap);
	memset(&fk, 0, sizeof(fk));
	fk.rec = in + 2 + nops;
	fk.end = in + n;
	fk.step = steps[cfg & 3];
	fk.ticks = cfg & 16;
	fk.br = &br;
	refuse = ((cfg >> 2) & 3) == 3;
	if (((cfg >> 2) & 3) == 1)
		mem.size = 0;
	else if (((cfg >> 2) & 3) == 2)
		mem.size = 2 * PAGE;
	bridge_init(&br, &tr, &mem);

	if (cfg & 32) {
		/* Left over from an earlier session: the drain's business. */
		struct bridge_hdr none = { 0, 0, 0, 0 };

		answer(&fk, &none, NULL);
	}
	rc = bridge_attach(&br);
	if ((rc != 0) != bridge_failed(&br))
		__builtin_trap();
	if (rc == 0 && (!br.attached || !br.time_page || br.host_version != BRIDGE_PROTO_VERSION))
		__builtin_trap();
	for (size_t i = 0; i < nops; i++)
		run_op(ops[i], &last_time, mem.size != 0);
	/* One failure sentence, NUL-terminated, exactly when failed. */
	if (!memchr(br.error, '\0', sizeof(br.error)) || bridge_failed(&br) != (br.error[0] != '\0'))
		__builtin_trap();
	return 0;
}
