/* The hypervisor layer against hvsim's hypervisor model: detection, SynIC
 * delivery rules, hypercall input checking, teardown state. */
#include <errno.h>
#include <string.h>

#include "fixture.h"

static unsigned msr_writes(struct fx *f)
{
	struct hvsim_stats st;

	hvsim_get_stats(f->sim, &st);
	return st.msr_writes_hv;
}

static void detect_fails(enum hvsim_cpuid_profile p, int err, const char *needle)
{
	struct fx f;

	fx_config(&f);
	f.cfg.cpuid = p;
	fx_start(&f);
	CHECK_EQ(hv_init(&f.hv, f.seam), err);
	CHECK_MSG(log_has(needle), "log lacks '%s'", needle);
	CHECK_EQ(msr_writes(&f), 0); /* nothing written before detection passed */
	fx_no_violations(&f);        /* and no unavailable MSR was even read */
	fx_destroy(&f);
}

TEST(hv_detect_no_hypervisor)
{
	detect_fails(HVSIM_CPUID_NONE, -ENODEV, "no hypervisor (CPUID.1:ECX bit 31 is clear)");
}

TEST(hv_detect_not_hv1)
{
	detect_fails(HVSIM_CPUID_OTHER_HV, -ENODEV, "does not offer the Hyper-V interface");
}

TEST(hv_detect_no_hypercall_msrs)
{
	detect_fails(HVSIM_CPUID_NO_HYPERCALL, -EACCES, "no hypercall MSRs");
}

TEST(hv_detect_no_synic)
{
	detect_fails(HVSIM_CPUID_NO_SYNIC, -EACCES, "no SynIC MSRs");
}

TEST(hv_detect_no_post_messages)
{
	detect_fails(HVSIM_CPUID_NO_POST, -EACCES, "may not post messages");
}

TEST(hv_detect_foreign_vendor_with_hv1)
{
	struct fx f;

	fx_config(&f);
	f.cfg.cpuid = HVSIM_CPUID_NO_VENDOR;
	fx_start(&f);
	fx_connect(&f);
	CHECK(log_has("not 'Microsoft Hv'"));
	fx_finish(&f);
	fx_destroy(&f);
}

TEST(hv_init_and_teardown_state)
{
	struct fx f;
	struct hv_seam *s;
	char audit[256];

	fx_config(&f);
	fx_start(&f);
	s = f.seam;
	CHECK_EQ(hv_init(&f.hv, s), 0);
	CHECK_EQ(hv_rdmsr(s, HV_MSR_GUEST_OS_ID), HVBOOT_GUEST_OS_ID);
	CHECK_EQ(hv_rdmsr(s, HV_MSR_GUEST_OS_ID) >> 63, 1); /* open-source encoding */
	CHECK_EQ(hv_rdmsr(s, HV_MSR_HYPERCALL), f.hv.hypercall_gpa | 1);
	CHECK_EQ(hv_rdmsr(s, HV_MSR_SIMP), f.hv.simp_gpa | 1);
	CHECK_EQ(hv_rdmsr(s, HV_MSR_SIEFP), f.hv.siefp_gpa | 1);
	CHECK_EQ(hv_rdmsr(s, HV_MSR_SINT(2)), HV_SYNIC_VECTOR | HV_SINT_AUTO_EOI);
	CHECK_EQ(hv_rdmsr(s, HV_MSR_SCONTROL) & 1, 1);
	/* The SIMP is an overlay: the guest's pointer is the overlay, not the RAM
	 * page it allocated. */
	CHECK((void *)f.hv.simp != f.hv.simp_ram);
	hv_teardown(&f.hv);
	CHECK_EQ(hv_rdmsr(s, HV_MSR_GUEST_OS_ID), 0);
	CHECK_EQ(hv_rdmsr(s, HV_MSR_HYPERCALL), 0);
	CHECK_EQ(hv_rdmsr(s, HV_MSR_SIMP), 0);
	CHECK_EQ(hv_rdmsr(s, HV_MSR_SIEFP), 0);
	CHECK_EQ(hv_rdmsr(s, HV_MSR_SINT(2)), HV_SINT_MASKED);
	CHECK_EQ(hv_rdmsr(s, HV_MSR_SCONTROL), 1); /* as found: left enabled */
	hv_teardown(&f.hv);                         /* twice is harmless */
	fx_no_violations(&f);
	CHECK_MSG(hvsim_audit(f.sim, false, audit, sizeof(audit)), "%s", audit);
	fx_destroy(&f);
}

TEST(hv_reserved_bits_kept_as_read)
{
	struct fx f;

	fx_config(&f);
	f.cfg.reserved_bits = true; /* SynIC MSRs come up with reserved bits set */
	fx_start(&f);
	fx_connect(&f);
	CHECK_EQ(hv_rdmsr(f.seam, HV_MSR_SIMP) & 0xffe, 0xa00);
	fx_finish(&f); /* hvsim flags any write that changed a reserved bit */
	CHECK_EQ(hv_rdmsr(f.seam, HV_MSR_SIMP), 0xa00);
	CHECK_EQ(hv_rdmsr(f.seam, HV_MSR_SINT(2)) >> 20, 0xa00);
	fx_destroy(&f);
}

TEST(hv_dirty_start_is_reported_and_reset)
{
	struct fx f;

	fx_config(&f);
	f.cfg.faults = HVSIM_FAULT_DIRTY_START;
	fx_start(&f);
	fx_connect(&f);
	CHECK(log_has("GUEST_OS_ID is 0x10000000000: the Hyper-V UEFI firmware did not release"));
	CHECK(log_has("the hypercall page was left enabled"));
	CHECK(log_has("SIMP was left enabled"));
	CHECK(log_has("SINT2 was left unmasked"));
	CHECK(log_has("discarding a stale message (type 0x1)"));
	CHECK_EQ(f.vb.noffers, 8);
	fx_finish(&f);
	fx_destroy(&f);
}

/* Post a message to the guest as the VMBus server would. */
static void host_sends(struct fx *f, uint32_t msgtype)
{
	struct vmbus_msg_header h = { msgtype, 0 };

	hvsim_post_to_guest(f->sim, &h, sizeof(h));
}

TEST(synic_masked_sint_gets_nothing)
{
	struct fx f;
	struct hv_message *slot;

	fx_config(&f);
	fx_start(&f);
	CHECK_EQ(hv_init(&f.hv, f.seam), 0);
	slot = &f.hv.simp[2];
	hv_wrmsr(f.seam, HV_MSR_SINT(2), hv_rdmsr(f.seam, HV_MSR_SINT(2)) | HV_SINT_MASKED);
	host_sends(&f, VMBUS_MSG_ALLOFFERS_DELIVERED);
	for (int i = 0; i < 100; i++)
		hv_idle(f.seam);
	CHECK_EQ(slot->type, 0);
	hv_wrmsr(f.seam, HV_MSR_EOM, 0); /* EOM does not deliver to a masked SINT either */
	CHECK_EQ(slot->type, 0);
	hv_wrmsr(f.seam, HV_MSR_SINT(2), hv_rdmsr(f.seam, HV_MSR_SINT(2)) & ~HV_SINT_MASKED);
	CHECK_EQ(slot->type, HV_MESSAGE_TYPE_VMBUS);
	hv_teardown(&f.hv);
	fx_no_violations(&f);
	fx_destroy(&f);
}

TEST(synic_pending_and_eom)
{
	struct fx f;
	struct hv_message *slot, m;

	fx_config(&f);
	fx_start(&f);
	CHECK_EQ(hv_init(&f.hv, f.seam), 0);
	slot = &f.hv.simp[2];
	host_sends(&f, VMBUS_MSG_ALLOFFERS_DELIVERED);
	host_sends(&f, VMBUS_MSG_UNLOAD_RESPONSE);
	CHECK_EQ(slot->type, 1);
	CHECK(slot->flags & HV_MSG_FLAG_PENDING); /* the second is queued behind it */
	/* Free the slot without EOM: the queued message stays queued. */
	slot->type = 0;
	for (int i = 0; i < 100; i++)
		hv_idle(f.seam);
	CHECK_EQ(slot->type, 0);
	hv_wrmsr(f.seam, HV_MSR_EOM, 0);
	CHECK_EQ(slot->type, 1);
	CHECK_EQ(slot->payload[0], VMBUS_MSG_UNLOAD_RESPONSE);
	/* hv_recv_message does the whole dance: many messages, in order. */
	slot->type = 0;
	for (uint32_t t = 1; t <= 40; t++)
		host_sends(&f, t);
	for (uint32_t t = 1; t <= 40; t++) {
		CHECK_EQ(hv_recv_message(&f.hv, &m), 1);
		CHECK_EQ(m.payload[0], t);
		CHECK_EQ(m.payload_size, 8);
	}
	CHECK_EQ(hv_recv_message(&f.hv, &m), 0);
	hv_teardown(&f.hv);
	fx_no_violations(&f);
	fx_destroy(&f);
}

static uint16_t raw_post(struct fx *f, uint64_t control, uint64_t gpa, uint32_t conn,
			 uint32_t type, uint32_t size)
{
	struct hv_post_message_input *in = f->seam->map(f->seam, gpa, sizeof(*in));

	if (in) {
		memset(in, 0, sizeof(*in));
		in->connection_id = conn;
		in->message_type = type;
		in->payload_size = size;
		in->payload[0] = VMBUS_MSG_REQUESTOFFERS;
	}
	return HV_CALL_STATUS(f->seam->hypercall(f->seam, control, gpa, 0));
}

TEST(hypercall_input_checking)
{
	struct fx f;
	uint64_t gpa;
	void *page;

	fx_config(&f);
	fx_start(&f);
	CHECK_EQ(hv_init(&f.hv, f.seam), 0);
	page = f.seam->alloc(f.seam, 2, &gpa);
	CHECK(page != NULL);
	CHECK_EQ(raw_post(&f, HV_CALL_POST_MESSAGE, gpa + 4, 1, 1, 8), HV_STATUS_INVALID_ALIGNMENT);
	CHECK_EQ(raw_post(&f, HV_CALL_POST_MESSAGE, gpa + 4096 - 128, 1, 1, 8),
		 HV_STATUS_INVALID_ALIGNMENT); /* crosses a page */
	CHECK_EQ(raw_post(&f, HV_CALL_POST_MESSAGE | 1ull << 32, gpa, 1, 1, 8),
		 HV_STATUS_INVALID_HYPERCALL_INPUT); /* rep count on a simple call */
	CHECK_EQ(raw_post(&f, HV_CALL_POST_MESSAGE | HV_CALL_FAST, gpa, 1, 1, 8),
		 HV_STATUS_INVALID_HYPERCALL_CODE);
	CHECK_EQ(raw_post(&f, HV_CALL_POST_MESSAGE, gpa, 1, 1, 241), HV_STATUS_INVALID_PARAMETER);
	CHECK_EQ(raw_post(&f, HV_CALL_POST_MESSAGE, gpa, 1, 0, 8), HV_STATUS_INVALID_PARAMETER);
	CHECK_EQ(raw_post(&f, HV_CALL_POST_MESSAGE, gpa, 1, 0x80000001u, 8),
		 HV_STATUS_INVALID_PARAMETER);
	CHECK_EQ(raw_post(&f, HV_CALL_POST_MESSAGE, gpa, 77, 1, 8),
		 HV_STATUS_INVALID_CONNECTION_ID);
	CHECK_EQ(raw_post(&f, HV_CALL_POST_MESSAGE, gpa, 0x01000001u, 1, 8),
		 HV_STATUS_INVALID_HYPERCALL_INPUT);
	CHECK_EQ(raw_post(&f, 0x99, gpa, 1, 1, 8), HV_STATUS_INVALID_HYPERCALL_CODE);
	/* no channel is open: every event connection is unknown */
	CHECK_EQ(hv_signal_event(&f.hv, 0x2001), HV_STATUS_INVALID_CONNECTION_ID);
	CHECK_EQ(HV_CALL_STATUS(f.seam->hypercall(f.seam, HV_CALL_SIGNAL_EVENT | HV_CALL_FAST,
						  0x2001ull | 1ull << 48, 0)),
		 HV_STATUS_INVALID_HYPERCALL_INPUT); /* reserved bytes 6-7 */
	/* the guest wrapper refuses an oversized payload itself */
	CHECK_EQ(hv_post_message(&f.hv, 1, page, 241), HV_STATUS_INVALID_PARAMETER);
	f.seam->free(f.seam, page, 2);
	hv_teardown(&f.hv);
	fx_no_violations(&f);
	fx_destroy(&f);
}

TEST(hypercall_page_disabled_is_a_violation)
{
	struct fx f;

	fx_config(&f);
	fx_start(&f);
	/* calling through a page that was never enabled */
	f.seam->hypercall(f.seam, HV_CALL_POST_MESSAGE, 0x100000, 0);
	CHECK_EQ(hvsim_violation_count(f.sim), 1);
	CHECK(strstr(hvsim_violation(f.sim, 0), "disabled hypercall page"));
	fx_destroy(&f);
}

TEST(hv_post_retries_insufficient_buffers)
{
	struct fx f;
	struct hvsim_stats st;

	fx_config(&f);
	f.cfg.faults = HVSIM_FAULT_PORT_BUSY; /* the first 3 posts: INSUFFICIENT_BUFFERS */
	fx_start(&f);
	fx_connect(&f);
	hvsim_get_stats(f.sim, &st);
	CHECK_EQ(st.hypercalls_failed, 3);
	fx_finish(&f);
	fx_destroy(&f);
}

TEST(hv_reference_time_and_delay)
{
	struct fx f;
	uint64_t t0, t1;

	fx_config(&f);
	fx_start(&f);
	CHECK_EQ(hv_init(&f.hv, f.seam), 0);
	t0 = hv_time(&f.hv);
	hv_delay(&f.hv, 10 * HV_TICKS_PER_MS);
	t1 = hv_time(&f.hv);
	CHECK(t1 - t0 >= 10 * HV_TICKS_PER_MS);
	CHECK(t1 - t0 < 20 * HV_TICKS_PER_MS);
	hv_teardown(&f.hv);
	fx_destroy(&f);
}
