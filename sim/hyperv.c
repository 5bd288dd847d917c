/* The hypervisor model: CPUID leaves, synthetic MSRs, the hypercall page and
 * its two calls, and the SynIC (message slots, pending/EOM, event flags).
 * Reference: facts sections 1, 2 and Appendix A; OpenVMM's hv1_emulator. */
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"
#include "sim.h"

#define SIM_BUILD 20348u            /* reported in 0x40000002 */
#define SIM_RSVD_PATTERN 0xa00ull   /* reserved bits 11 and 9 set (reserved_bits mode) */

void sim_hv_reset(struct hvsim *sim)
{
	struct sim_synic *sy = &sim->synic;
	uint64_t rsvd = sim->cfg.reserved_bits ? SIM_RSVD_PATTERN : 0;

	sim->guest_os_id = 0;
	sim->hypercall_msr = 0;
	/* OpenVMM's model starts SCONTROL enabled (facts 1.4: disputed). */
	sy->scontrol = 1 | (rsvd << 20);
	sy->simp = rsvd;
	sy->siefp = rsvd;
	for (unsigned i = 0; i < HV_SINT_COUNT; i++)
		sy->sint[i] = HV_SINT_RESET | (rsvd << 20);
	/* The hypercall page overlay: INT3 fill, VMCALL; RET at offset 0. */
	memset(sim->hypercall_page.store, 0xcc, sizeof(sim->hypercall_page.store));
	memcpy(sim->hypercall_page.store, "\x0f\x01\xc1\xc3", 4);
}

void sim_cpuid(struct hvsim *sim, uint32_t leaf, struct hv_cpuid *r)
{
	enum hvsim_cpuid_profile p = sim->cfg.cpuid;
	bool hv1 = p != HVSIM_CPUID_NONE && p != HVSIM_CPUID_OTHER_HV;

	memset(r, 0, sizeof(*r));
	switch (leaf) {
	case HV_CPUID_FEATURES:
		r->ecx = p == HVSIM_CPUID_NONE ? 0 : HV_CPUID_HV_PRESENT;
		break;
	case HV_CPUID_VENDOR:
		if (p == HVSIM_CPUID_NONE)
			break;
		r->eax = 0x4000000A;
		if (p == HVSIM_CPUID_OTHER_HV || p == HVSIM_CPUID_NO_VENDOR) {
			r->ebx = 0x4b4d564b; /* "KVMKVMKVM" */
			r->ecx = 0x564b4d56;
			r->edx = 0x4d;
		} else {
			r->ebx = HV_VENDOR_EBX;
			r->ecx = HV_VENDOR_ECX;
			r->edx = HV_VENDOR_EDX;
		}
		break;
	case HV_CPUID_INTERFACE:
		r->eax = hv1 ? HV_INTERFACE_HV1 : 0;
		break;
	case HV_CPUID_VERSION:
		if (hv1) {
			r->eax = SIM_BUILD;
			r->ebx = 10u << 16 | 0;
		}
		break;
	case HV_CPUID_PRIVILEGES:
		if (!hv1)
			break;
		r->eax = HV_PRIV_TIME_REF_COUNT | HV_PRIV_SYNIC_MSRS | HV_PRIV_SYNTIMER_MSRS |
			 HV_PRIV_HYPERCALL_MSRS | HV_PRIV_VP_INDEX;
		r->ebx = HV_PRIV_POST_MESSAGES | HV_PRIV_SIGNAL_EVENTS;
		if (p == HVSIM_CPUID_NO_HYPERCALL)
			r->eax &= ~HV_PRIV_HYPERCALL_MSRS;
		if (p == HVSIM_CPUID_NO_SYNIC)
			r->eax &= ~HV_PRIV_SYNIC_MSRS;
		if (p == HVSIM_CPUID_NO_POST)
			r->ebx = 0;
		break;
	case HV_CPUID_LIMITS:
		if (hv1) {
			r->eax = 1; /* one VP */
			r->ebx = 1;
		}
		break;
	default:
		break;
	}
}

/* --- SynIC delivery ---------------------------------------------------- */

static bool sint_deliverable(struct hvsim *sim, unsigned sint)
{
	struct sim_synic *sy = &sim->synic;

	/* A masked SINT gets nothing (iPXE's experiment, OpenVMM). */
	return (sy->scontrol & 1) && (sy->simp & HV_MSR_ENABLE) &&
	       !(sy->sint[sint] & HV_SINT_MASKED);
}

/* Move the head of the SINT's queue into its slot if the slot is free; if
 * the slot is busy, mark it MessagePending so the guest writes EOM. */
static void synic_deliver(struct hvsim *sim, unsigned sint)
{
	struct sim_msgq *q = &sim->synic.queue[sint];
	struct hv_message *slot;

	if (q->count == 0 || !sint_deliverable(sim, sint))
		return;
	slot = (struct hv_message *)(sim->synic.simp_page.page + sint * sizeof(struct hv_message));
	if (hvb_read32(&slot->type) != HV_MESSAGE_TYPE_NONE) {
		__atomic_or_fetch(&slot->flags, HV_MSG_FLAG_PENDING, __ATOMIC_SEQ_CST);
		return;
	}
	memcpy((uint8_t *)slot + 4, (uint8_t *)&q->msgs[q->head] + 4, sizeof(*slot) - 4);
	slot->flags = q->count > 1 ? HV_MSG_FLAG_PENDING : 0;
	hvb_write32(&slot->type, q->msgs[q->head].type); /* type last: it publishes the slot */
	q->head = (q->head + 1) % SIM_QUEUE_MAX;
	q->count--;
	sim->stats.messages_delivered++;
	sim_wake_guest(sim);
}

void sim_synic_post_raw(struct hvsim *sim, unsigned sint, const struct hv_message *m)
{
	struct sim_msgq *q = &sim->synic.queue[sint];

	if (!q->msgs) {
		q->msgs = calloc(SIM_QUEUE_MAX, sizeof(*q->msgs));
		if (!q->msgs) {
			sim_violation(sim, "hvsim: out of memory for the SINT%u queue", sint);
			return;
		}
	}
	if (q->count == SIM_QUEUE_MAX) {
		sim_violation(sim, "SINT%u: %u messages queued and none consumed; the guest is not "
			      "reading its message slot", sint, SIM_QUEUE_MAX);
		return;
	}
	q->msgs[(q->head + q->count) % SIM_QUEUE_MAX] = *m;
	q->count++;
	synic_deliver(sim, sint);
}

void sim_synic_post(struct hvsim *sim, unsigned sint, uint32_t type, const void *payload,
		    uint32_t len)
{
	struct hv_message m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.payload_size = (uint8_t)len;
	m.origination = 1; /* the VMBus message port */
	memcpy(m.payload, payload, HVB_MIN(len, (uint32_t)HV_MESSAGE_PAYLOAD_MAX));
	sim_synic_post_raw(sim, sint, &m);
}

bool sim_synic_event_deliverable(struct hvsim *sim, unsigned sint)
{
	struct sim_synic *sy = &sim->synic;

	return (sy->scontrol & 1) && (sy->siefp & HV_MSR_ENABLE) &&
	       !(sy->sint[sint] & HV_SINT_MASKED);
}

/* An event: an atomic OR into the SIEF overlay (the guest test-and-clears
 * the bit concurrently in threaded mode). Interrupts are never raised: the
 * guest polls with interrupts off. */
bool sim_synic_signal(struct hvsim *sim, unsigned sint, unsigned flag)
{
	uint8_t *slot = sim->synic.siefp_page.page + sint * HV_SIEF_SLOT_BYTES;

	if (flag >= HV_SIEF_FLAGS_PER_SINT || !sim_synic_event_deliverable(sim, sint))
		return false; /* OpenVMM drops it silently */
	__atomic_fetch_or(&slot[flag / 8], (uint8_t)(1u << (flag % 8)), __ATOMIC_SEQ_CST);
	sim_wake_guest(sim);
	return true;
}

void sim_synic_fini(struct hvsim *sim)
{
	for (unsigned i = 0; i < HV_SINT_COUNT; i++)
		free(sim->synic.queue[i].msgs);
}

static void synic_rescan(struct hvsim *sim)
{
	for (unsigned i = 0; i < HV_SINT_COUNT; i++)
		synic_deliver(sim, i);
}

/* --- MSRs ------------------------------------------------------------- */

static bool priv(struct hvsim *sim, uint32_t bit)
{
	struct hv_cpuid r;

	sim_cpuid(sim, HV_CPUID_PRIVILEGES, &r);
	return (r.eax & bit) != 0;
}

/* Reserved bits are RsvdP: a write must carry them as read. */
static void check_rsvd(struct hvsim *sim, const char *name, uint64_t old, uint64_t v,
		       uint64_t rsvd_mask)
{
	if ((old ^ v) & rsvd_mask)
		sim_violation(sim, "%s: write 0x%llx changes reserved bits (was 0x%llx); keep them "
			      "as read", name, (unsigned long long)v, (unsigned long long)old);
}

static const char *msr_name(uint32_t msr)
{
	switch (msr) {
	case HV_MSR_GUEST_OS_ID: return "GUEST_OS_ID";
	case HV_MSR_HYPERCALL: return "HYPERCALL";
	case HV_MSR_VP_INDEX: return "VP_INDEX";
	case HV_MSR_TIME_REF_COUNT: return "TIME_REF_COUNT";
	case HV_MSR_SCONTROL: return "SCONTROL";
	case HV_MSR_SVERSION: return "SVERSION";
	case HV_MSR_SIEFP: return "SIEFP";
	case HV_MSR_SIMP: return "SIMP";
	case HV_MSR_EOM: return "EOM";
	default: return msr >= HV_MSR_SINT0 && msr < HV_MSR_SINT0 + 16 ? "SINTx" : "unknown MSR";
	}
}

static bool msr_available(struct hvsim *sim, uint32_t msr)
{
	if (sim->cfg.cpuid == HVSIM_CPUID_NONE || sim->cfg.cpuid == HVSIM_CPUID_OTHER_HV)
		return false;
	switch (msr) {
	case HV_MSR_GUEST_OS_ID:
	case HV_MSR_HYPERCALL:
		return priv(sim, HV_PRIV_HYPERCALL_MSRS);
	case HV_MSR_VP_INDEX:
		return priv(sim, HV_PRIV_VP_INDEX);
	case HV_MSR_TIME_REF_COUNT:
		return priv(sim, HV_PRIV_TIME_REF_COUNT);
	default:
		if ((msr >= HV_MSR_SCONTROL && msr <= HV_MSR_EOM) ||
		    (msr >= HV_MSR_SINT0 && msr < HV_MSR_SINT0 + HV_SINT_COUNT))
			return priv(sim, HV_PRIV_SYNIC_MSRS);
		return false;
	}
}

bool sim_time_ref_lockless(struct hvsim *sim, uint32_t msr, uint64_t *v)
{
	/* The privilege comes from the CPUID profile, fixed at creation. */
	if (msr != HV_MSR_TIME_REF_COUNT || !priv(sim, HV_PRIV_TIME_REF_COUNT))
		return false;
	*v = sim_now(sim);
	return true;
}

uint64_t sim_rdmsr(struct hvsim *sim, uint32_t msr)
{
	struct sim_synic *sy = &sim->synic;

	if (!msr_available(sim, msr)) {
		sim_violation(sim, "rdmsr 0x%x (%s): #GP, the MSR is not available", msr,
			      msr_name(msr));
		return 0;
	}
	switch (msr) {
	case HV_MSR_GUEST_OS_ID: return sim->guest_os_id;
	case HV_MSR_HYPERCALL: return sim->hypercall_msr;
	case HV_MSR_VP_INDEX: return 0;
	case HV_MSR_TIME_REF_COUNT: return sim_now(sim);
	case HV_MSR_SCONTROL: return sy->scontrol;
	case HV_MSR_SVERSION: return 1;
	case HV_MSR_SIEFP: return sy->siefp;
	case HV_MSR_SIMP: return sy->simp;
	case HV_MSR_EOM: return 0;
	default: return sy->sint[msr - HV_MSR_SINT0];
	}
}

static void wrmsr_sint(struct hvsim *sim, unsigned n, uint64_t v)
{
	struct sim_synic *sy = &sim->synic;

	check_rsvd(sim, "SINTx", sy->sint[n], v, ~0x1fffffull | 0xff00ull);
	if (!(v & HV_SINT_MASKED) && (v & HV_SINT_VECTOR_MASK) < 16) {
		sim_violation(sim, "SINT%u: unmasked with vector %llu: #GP (vectors 0-15 are "
			      "invalid)", n, (unsigned long long)(v & HV_SINT_VECTOR_MASK));
		return;
	}
	sy->sint[n] = v;
	synic_rescan(sim);
}

void sim_wrmsr(struct hvsim *sim, uint32_t msr, uint64_t v)
{
	struct sim_synic *sy = &sim->synic;

	if (!msr_available(sim, msr)) {
		sim_violation(sim, "wrmsr 0x%x (%s) = 0x%llx: #GP, the MSR is not available", msr,
			      msr_name(msr), (unsigned long long)v);
		return;
	}
	sim->stats.msr_writes_hv++;
	switch (msr) {
	case HV_MSR_GUEST_OS_ID:
		sim->guest_os_id = v;
		if (v == 0 && (sim->hypercall_msr & HV_MSR_ENABLE)) {
			/* TLFS: GUEST_OS_ID = 0 disables the hypercall page. */
			sim->hypercall_msr &= ~HV_MSR_ENABLE;
			sim_overlay_move(sim, &sim->hypercall_page, sim->hypercall_msr);
		}
		return;
	case HV_MSR_HYPERCALL:
		if (v & HV_HYPERCALL_RSVDZ) {
			sim_violation(sim, "HYPERCALL = 0x%llx: #GP, bits 11:2 are reserved",
				      (unsigned long long)v);
			return;
		}
		if (sim->hypercall_msr & HV_HYPERCALL_LOCKED) {
			sim_violation(sim, "HYPERCALL: #GP, the MSR is locked");
			return;
		}
		if ((v & HV_MSR_ENABLE) && sim->guest_os_id == 0) {
			sim_violation(sim, "HYPERCALL enabled while GUEST_OS_ID is 0: the page stays "
				      "disabled (write GUEST_OS_ID first)");
			v &= ~HV_MSR_ENABLE;
		}
		sim->hypercall_msr = v;
		sim_overlay_move(sim, &sim->hypercall_page, v);
		return;
	case HV_MSR_SCONTROL:
		check_rsvd(sim, "SCONTROL", sy->scontrol, v, ~1ull);
		sy->scontrol = v;
		synic_rescan(sim);
		return;
	case HV_MSR_SIEFP:
		check_rsvd(sim, "SIEFP", sy->siefp, v, HV_MSR_RSVD_MASK);
		sy->siefp = v;
		sim_overlay_move(sim, &sy->siefp_page, v);
		return;
	case HV_MSR_SIMP:
		check_rsvd(sim, "SIMP", sy->simp, v, HV_MSR_RSVD_MASK);
		sy->simp = v;
		sim_overlay_move(sim, &sy->simp_page, v);
		synic_rescan(sim);
		return;
	case HV_MSR_EOM:
		if (v != 0)
			sim_violation(sim, "EOM = 0x%llx: write 0 (all bits are RsvdZ)",
				      (unsigned long long)v);
		sim->stats.eom_writes++;
		synic_rescan(sim); /* queued messages move only on EOM */
		return;
	case HV_MSR_VP_INDEX:
	case HV_MSR_TIME_REF_COUNT:
	case HV_MSR_SVERSION:
		sim_violation(sim, "wrmsr %s: #GP, the MSR is read-only", msr_name(msr));
		return;
	default:
		wrmsr_sint(sim, msr - HV_MSR_SINT0, v);
		return;
	}
}

/* --- hypercalls ------------------------------------------------------- */

static uint16_t post_message(struct hvsim *sim, uint64_t control, uint64_t in_gpa)
{
	struct hv_post_message_input in;
	struct sim_port_msg *pm;
	struct hv_cpuid r;

	if (control & HV_CALL_FAST)
		return HV_STATUS_INVALID_HYPERCALL_CODE; /* slow call only */
	sim_cpuid(sim, HV_CPUID_PRIVILEGES, &r);
	if (!(r.ebx & HV_PRIV_POST_MESSAGES))
		return HV_STATUS_ACCESS_DENIED;
	/* 8-byte aligned and not crossing a page (facts 1.6). */
	if ((in_gpa & 7) || (in_gpa & 0xfff) + sizeof(in) > HVB_PAGE_SIZE)
		return HV_STATUS_INVALID_ALIGNMENT;
	if (sim_gpa_read(sim, in_gpa, &in, sizeof(in), "HvPostMessage input"))
		return HV_STATUS_INVALID_PARAMETER;
	if ((in.connection_id & ~HV_CONNECTION_ID_MASK) || in.reserved)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (in.message_type == 0 || (in.message_type & HV_MESSAGE_TYPE_HYPERVISOR_MASK) ||
	    in.payload_size > HV_MESSAGE_PAYLOAD_MAX)
		return HV_STATUS_INVALID_PARAMETER;
	if (!sim_server_accepts_conn(sim, in.connection_id))
		return HV_STATUS_INVALID_CONNECTION_ID;
	if (sim->busy_posts_left) {
		sim->busy_posts_left--;
		return HV_STATUS_INSUFFICIENT_BUFFERS;
	}
	if (sim->port_count == SIM_PORT_BUFFERS)
		return HV_STATUS_INSUFFICIENT_BUFFERS;
	if (in.message_type != HV_MESSAGE_TYPE_VMBUS)
		sim_violation(sim, "HvPostMessage: message type %u; VMBus uses 1", in.message_type);
	pm = &sim->port[(sim->port_head + sim->port_count) % SIM_PORT_BUFFERS];
	pm->due = sim_now(sim) + (uint64_t)sim->cfg.response_latency_us * 10;
	pm->conn = in.connection_id;
	pm->size = in.payload_size;
	memcpy(pm->data, in.payload, in.payload_size);
	sim->port_count++;
	sim->stats.posts++;
	sim->stats.last_post_conn = in.connection_id;
	sim_trace_msg(sim, true, in.connection_id, in.payload, in.payload_size);
	return HV_STATUS_SUCCESS;
}

static uint16_t signal_event(struct hvsim *sim, uint64_t control, uint64_t in_gpa, uint64_t fast2)
{
	struct hv_signal_event_input in;
	struct hv_cpuid r;

	(void)fast2;
	sim_cpuid(sim, HV_CPUID_PRIVILEGES, &r);
	if (!(r.ebx & HV_PRIV_SIGNAL_EVENTS))
		return HV_STATUS_ACCESS_DENIED;
	if (control & HV_CALL_FAST) {
		memcpy(&in, &in_gpa, sizeof(in)); /* RDX carries the 8-byte input */
	} else {
		if (in_gpa & 7)
			return HV_STATUS_INVALID_ALIGNMENT;
		if (sim_gpa_read(sim, in_gpa, &in, sizeof(in), "HvSignalEvent input"))
			return HV_STATUS_INVALID_PARAMETER;
	}
	if ((in.connection_id & ~HV_CONNECTION_ID_MASK) || in.reserved)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (!sim_server_conn_known(sim, in.connection_id))
		return HV_STATUS_INVALID_CONNECTION_ID;
	if (in.flag_number != 0)
		return HV_STATUS_INVALID_PORT_ID; /* VMBus ports have one flag (QEMU) */
	sim_server_signal(sim, in.connection_id);
	return HV_STATUS_SUCCESS;
}

uint64_t sim_hypercall(struct hvsim *sim, uint64_t control, uint64_t in, uint64_t out)
{
	uint16_t code = control & HV_CALL_CODE_MASK, status;

	if (!sim->hypercall_page.enabled) {
		sim_violation(sim, "hypercall 0x%x through a disabled hypercall page (on Hyper-V "
			      "this executes whatever the RAM holds)", code);
		return HV_STATUS_INVALID_HYPERCALL_CODE;
	}
	if (control & HV_CALL_SIMPLE_RSVD_MASK)
		status = HV_STATUS_INVALID_HYPERCALL_INPUT;
	else if (code == HV_CALL_POST_MESSAGE)
		status = post_message(sim, control, in);
	else if (code == HV_CALL_SIGNAL_EVENT)
		status = signal_event(sim, control, in, out);
	else
		status = HV_STATUS_INVALID_HYPERCALL_CODE;
	if (status != HV_STATUS_SUCCESS)
		sim->stats.hypercalls_failed++;
	return status;
}
