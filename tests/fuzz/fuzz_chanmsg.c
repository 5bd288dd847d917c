/* libFuzzer target: the VMBus channel-message handlers. A fake seam gives
 * the guest a connected bus with offers, a channel being opened (its ring
 * GPADL in flight) and answers every hypercall with success; the input is a
 * sequence of host messages written into the SynIC slot one at a time:
 *   [hv message type selector][payload_size (raw, may exceed 240)][payload...]
 * The payload is cut to what the input holds. Each message is followed by
 * one pass of the event loop (ring polls, deadlines). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/log.h"
#include "fuzz_common.h"
#include "../../lib/pagepool.h"
#include "../../vmbus/channel.h"
#include "../../vmbus/vmbus.h"
#include "../../vmbus/vmbus_internal.h"

#define POOL_PAGES 256u
#define GPA_BASE 0x200000ull

static uint8_t arena[POOL_PAGES * 4096] __attribute__((aligned(4096)));
static uint64_t bitmap[POOL_PAGES / 64];
static struct pagepool pool;
static uint64_t clock_ticks;

static void f_cpuid(struct hv_seam *s, uint32_t leaf, struct hv_cpuid *r)
{
	(void)s;
	(void)leaf;
	memset(r, 0, sizeof(*r));
}
static uint64_t f_rdmsr(struct hv_seam *s, uint32_t msr)
{
	(void)s;
	return msr == HV_MSR_TIME_REF_COUNT ? (clock_ticks += 1000000) : 0; /* 100 ms a read */
}
static void f_wrmsr(struct hv_seam *s, uint32_t msr, uint64_t v)
{
	(void)s;
	(void)msr;
	(void)v;
}
static uint64_t f_hypercall(struct hv_seam *s, uint64_t c, uint64_t in, uint64_t out)
{
	(void)s;
	(void)c;
	(void)in;
	(void)out;
	return 0;
}
static void *f_map(struct hv_seam *s, uint64_t gpa, size_t len)
{
	(void)s;
	return pagepool_ptr(&pool, gpa, len);
}
static uint64_t f_gpa_of(struct hv_seam *s, const void *p)
{
	(void)s;
	return pagepool_gpa(&pool, p);
}
static void *f_alloc(struct hv_seam *s, size_t n, uint64_t *gpa)
{
	(void)s;
	return pagepool_alloc(&pool, n, gpa);
}
static void f_free(struct hv_seam *s, void *p, size_t n)
{
	(void)s;
	pagepool_free(&pool, p, n);
}
static void f_idle(struct hv_seam *s) { (void)s; }

static struct hv_seam seam = {
	.name = "fuzz", .cpuid = f_cpuid, .rdmsr = f_rdmsr, .wrmsr = f_wrmsr,
	.hypercall = f_hypercall, .map = f_map, .gpa_of = f_gpa_of, .alloc = f_alloc,
	.free = f_free, .idle = f_idle,
};


int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	static struct hv hv;
	static struct vmbus vb;
	static struct vmbus_channel ch;
	struct vmbus_channel_params p = { .out_bytes = 8192, .in_bytes = 8192 };
	struct vmbus_op op = { 0 };
	size_t pos = 0;

	pagepool_init(&pool, GPA_BASE, arena, POOL_PAGES, bitmap);
	memset(&hv, 0, sizeof(hv));
	hv.seam = &seam;
	hv.hypercall_on = true;
	hv.post = f_alloc(&seam, 1, &hv.io_gpa);
	hv.simp = f_alloc(&seam, 1, &hv.simp_gpa);
	hv.sief = f_alloc(&seam, 1, &hv.siefp_gpa);
	memset(&vb, 0, sizeof(vb));
	vb.hv = &hv;
	vb.state = VMBUS_CONNECTED;
	vb.version = n ? vmbus_versions[in[0] % vmbus_version_count].version : VMBUS_VERSION_COPPER;
	vb.msg_conn = 1;
	vb.next_gpadl = VMBUS_GPADL_FIRST_HANDLE;
	vb.all_offers_delivered = true;
	vb.int_page = f_alloc(&seam, 1, &vb.int_page_gpa);
	for (unsigned i = 0; i < 3; i++) {
		vb.offers[i].relid = i + 1;
		vb.offers[i].connection_id = 0x2001 + i;
		vb.offers[i].dedicated_interrupt = true;
	}
	vb.noffers = 3;
	/* relid 1: being opened (ring GPADL 0xe1e10 in flight, open id 1) */
	if (vmbus_channel_open_start(&vb, &ch, &vb.offers[0], &p, &op) != 0)
		__builtin_trap();

	for (pos = n ? 1 : 0; pos + 2 <= n;) {
		struct hv_message *slot = &hv.simp[2];
		uint8_t sel = in[pos], size = in[pos + 1];
		size_t avail = n - pos - 2, take = avail < size ? avail : size;

		if (take > sizeof(slot->payload))
			take = sizeof(slot->payload);
		memset(slot, 0, sizeof(*slot));
		memcpy(slot->payload, in + pos + 2, take);
		slot->payload_size = size;
		slot->flags = sel & 0x80 ? HV_MSG_FLAG_PENDING : 0;
		slot->type = (sel & 0x7f) == 0x7f ? 0x80000010u : HV_MESSAGE_TYPE_VMBUS;
		pos += 2 + take;
		vmbus_loop_once(&vb);
		if (hv.simp[2].type != 0)
			__builtin_trap(); /* the slot must always be consumed */
	}
	/* and everything must unwind */
	vmbus_channels_forget_all(&vb);
	vmbus_gpadl_forget_all(&vb);
	return 0;
}
