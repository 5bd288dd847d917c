/* The guest's hypervisor layer. Facts: sections 1, 2 and 7.3/7.5. */
#include "hv.h"

#include <errno.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/util.h"

int hv_detect(struct hv_seam *seam, struct hv_info *info)
{
	struct hv_cpuid r;

	memset(info, 0, sizeof(*info));
	hv_cpuid(seam, HV_CPUID_FEATURES, &r);
	if (!(r.ecx & HV_CPUID_HV_PRESENT)) {
		log_err("hv: no hypervisor (CPUID.1:ECX bit 31 is clear): this is not a virtual "
			"machine; hvboot needs a Hyper-V Generation 2 VM");
		return -ENODEV;
	}
	hv_cpuid(seam, HV_CPUID_VENDOR, &r);
	info->max_leaf = r.eax;
	memcpy(info->vendor, &r.ebx, 4);
	memcpy(info->vendor + 4, &r.ecx, 4);
	memcpy(info->vendor + 8, &r.edx, 4);
	for (int i = 0; i < 12; i++)
		if (info->vendor[i] < 0x20 || info->vendor[i] > 0x7e)
			info->vendor[i] = '?';
	if (info->max_leaf < HV_CPUID_LIMITS || info->max_leaf > 0x4000FFFF) {
		log_err("hv: hypervisor '%s' reports max CPUID leaf 0x%x; Hyper-V reports at least "
			"0x40000005", info->vendor, info->max_leaf);
		return -ENODEV;
	}
	hv_cpuid(seam, HV_CPUID_INTERFACE, &r);
	if (r.eax != HV_INTERFACE_HV1) {
		log_err("hv: hypervisor '%s' does not offer the Hyper-V interface (CPUID 0x40000001 "
			"is 0x%08x, not \"Hv#1\")", info->vendor, r.eax);
		return -ENODEV;
	}
	if (strcmp(info->vendor, "Microsoft Hv") != 0)
		log_warn("hv: hypervisor vendor is '%s', not 'Microsoft Hv'; it claims the Hyper-V "
			 "interface, going on", info->vendor);
	hv_cpuid(seam, HV_CPUID_VERSION, &r);
	info->build = r.eax;
	info->version_major = (uint16_t)(r.ebx >> 16);
	info->version_minor = (uint16_t)r.ebx;
	hv_cpuid(seam, HV_CPUID_PRIVILEGES, &r);
	info->priv_eax = r.eax;
	info->priv_ebx = r.ebx;
	info->features_edx = r.edx;
	hv_cpuid(seam, HV_CPUID_RECOMMENDATIONS, &r);
	info->recommendations = r.eax;

	/* Each missing piece gets its own sentence. */
	if (!(info->priv_eax & HV_PRIV_HYPERCALL_MSRS)) {
		log_err("hv: the partition has no hypercall MSRs (CPUID 0x40000003 EAX bit 5): "
			"cannot enable the hypercall page");
		return -EACCES;
	}
	if (!(info->priv_eax & HV_PRIV_SYNIC_MSRS)) {
		log_err("hv: the partition has no SynIC MSRs (CPUID 0x40000003 EAX bit 2): cannot "
			"receive VMBus messages");
		return -EACCES;
	}
	if (!(info->priv_eax & HV_PRIV_TIME_REF_COUNT)) {
		log_err("hv: the partition has no reference counter (CPUID 0x40000003 EAX bit 1): "
			"cannot bound waits on the host");
		return -EACCES;
	}
	if (!(info->priv_ebx & HV_PRIV_POST_MESSAGES)) {
		log_err("hv: the partition may not post messages (CPUID 0x40000003 EBX bit 4): "
			"cannot talk to VMBus");
		return -EACCES;
	}
	if (!(info->priv_ebx & HV_PRIV_SIGNAL_EVENTS)) {
		log_err("hv: the partition may not signal events (CPUID 0x40000003 EBX bit 5): "
			"cannot notify VMBus channels");
		return -EACCES;
	}
	return 0;
}

static void *alloc_page(struct hv *hv, uint64_t *gpa)
{
	return hv->seam->alloc(hv->seam, 1, gpa);
}

static void free_pages(struct hv *hv)
{
	struct hv_seam *s = hv->seam;

	s->free(s, hv->hypercall_ram, 1);
	s->free(s, hv->simp_ram, 1);
	s->free(s, hv->siefp_ram, 1);
	s->free(s, hv->io_ram, 1);
	hv->hypercall_ram = hv->simp_ram = hv->siefp_ram = hv->io_ram = NULL;
}

/* An earlier owner (firmware that did not unload, a loader that crashed)
 * may have left the hypervisor connection up. We say so and start clean. */
static void check_found_state(struct hv *hv)
{
	if (hv->found_guest_os_id == HV_GUEST_OS_ID_UEFI)
		log_warn("hv: GUEST_OS_ID is 0x%llx: the Hyper-V UEFI firmware did not release the "
			 "hypervisor connection; taking it over",
			 (unsigned long long)hv->found_guest_os_id);
	else if (hv->found_guest_os_id)
		log_warn("hv: GUEST_OS_ID is 0x%llx: an earlier owner did not clean up; taking over",
			 (unsigned long long)hv->found_guest_os_id);
	if (hv->found_hypercall & HV_MSR_ENABLE)
		log_warn("hv: the hypercall page was left enabled at 0x%llx; resetting it",
			 (unsigned long long)(hv->found_hypercall & HV_MSR_PAGE_MASK));
	if (hv->found_simp & HV_MSR_ENABLE)
		log_warn("hv: SIMP was left enabled at 0x%llx; resetting it",
			 (unsigned long long)(hv->found_simp & HV_MSR_PAGE_MASK));
	if (hv->found_siefp & HV_MSR_ENABLE)
		log_warn("hv: SIEFP was left enabled at 0x%llx; resetting it",
			 (unsigned long long)(hv->found_siefp & HV_MSR_PAGE_MASK));
	if (!(hv->found_sint & HV_SINT_MASKED))
		log_warn("hv: SINT2 was left unmasked (0x%llx); resetting it",
			 (unsigned long long)hv->found_sint);
}

/* Overlay pages keep their contents across disable/enable (facts 2.1), so a
 * predecessor's message may still sit in our slot: drop it. */
static void clear_slot(struct hv *hv, bool verbose)
{
	struct hv_message *slot = &hv->simp[VMBUS_SINT_SLOT];
	uint8_t *flags = hv->sief + VMBUS_SINT_SLOT * HV_SIEF_SLOT_BYTES;
	uint32_t type = hvb_read32(&slot->type);

	if (type != HV_MESSAGE_TYPE_NONE) {
		if (verbose)
			log_warn("hv: discarding a stale message (type 0x%x) left in the VMBus slot", type);
		hvb_write32(&slot->type, HV_MESSAGE_TYPE_NONE);
		hvb_mb();
		if (hvb_read8(&slot->flags) & HV_MSG_FLAG_PENDING)
			hv_wrmsr(hv->seam, HV_MSR_EOM, 0);
	}
	for (unsigned i = 0; i < HV_SIEF_SLOT_BYTES; i++)
		__atomic_store_n(&flags[i], 0, __ATOMIC_RELAXED);
}

int hv_init(struct hv *hv, struct hv_seam *seam)
{
	struct hv_seam *s = seam;
	uint64_t v;
	int rc;

	memset(hv, 0, sizeof(*hv));
	hv->seam = seam;
	rc = hv_detect(seam, &hv->info);
	if (rc)
		return rc;
	hv->auto_eoi = !(hv->info.recommendations & HV_RECOMMEND_DEPRECATE_AUTOEOI);

	hv->found_guest_os_id = hv_rdmsr(s, HV_MSR_GUEST_OS_ID);
	hv->found_hypercall = hv_rdmsr(s, HV_MSR_HYPERCALL);
	hv->found_scontrol = hv_rdmsr(s, HV_MSR_SCONTROL);
	hv->found_simp = hv_rdmsr(s, HV_MSR_SIMP);
	hv->found_siefp = hv_rdmsr(s, HV_MSR_SIEFP);
	hv->found_sint = hv_rdmsr(s, HV_MSR_SINT(VMBUS_SINT_SLOT));
	check_found_state(hv);

	hv->hypercall_ram = alloc_page(hv, &hv->hypercall_gpa);
	hv->simp_ram = alloc_page(hv, &hv->simp_gpa);
	hv->siefp_ram = alloc_page(hv, &hv->siefp_gpa);
	hv->io_ram = alloc_page(hv, &hv->io_gpa);
	if (!hv->hypercall_ram || !hv->simp_ram || !hv->siefp_ram || !hv->io_ram) {
		log_err("hv: out of memory for the hypercall and SynIC pages");
		free_pages(hv);
		return -ENOMEM;
	}
	hv->post = hv->io_ram;
	hv->vp_index = (hv->info.priv_eax & HV_PRIV_VP_INDEX) ? (uint32_t)hv_rdmsr(s, HV_MSR_VP_INDEX)
							      : 0;

	/* GUEST_OS_ID first: the hypercall page stays disabled while it is 0. */
	hv_wrmsr(s, HV_MSR_GUEST_OS_ID, HVBOOT_GUEST_OS_ID);
	hv->os_id_set = true;

	/* Hypercall page: keep bits 11:1 as read (Locked is bit 1; 11:2 #GP if set). */
	v = (hv->found_hypercall & HV_MSR_RSVD_MASK) | hv->hypercall_gpa | HV_MSR_ENABLE;
	hv_wrmsr(s, HV_MSR_HYPERCALL, v);
	if (!(hv_rdmsr(s, HV_MSR_HYPERCALL) & HV_MSR_ENABLE)) {
		log_err("hv: the hypercall page did not enable (HYPERCALL MSR reads 0x%llx)",
			(unsigned long long)hv_rdmsr(s, HV_MSR_HYPERCALL));
		rc = -EIO;
		goto err;
	}
	s->hypercall_page = s->map(s, hv->hypercall_gpa, HVB_PAGE_SIZE);
	hv->hypercall_on = true;

	/* SIMP, SIEFP: overlays, so map them again after enabling. */
	hv_wrmsr(s, HV_MSR_SIMP, (hv->found_simp & HV_MSR_RSVD_MASK) | hv->simp_gpa | HV_MSR_ENABLE);
	hv_wrmsr(s, HV_MSR_SIEFP,
		 (hv->found_siefp & HV_MSR_RSVD_MASK) | hv->siefp_gpa | HV_MSR_ENABLE);
	hv->synic_on = true;
	hv->simp = s->map(s, hv->simp_gpa, HVB_PAGE_SIZE);
	hv->sief = s->map(s, hv->siefp_gpa, HVB_PAGE_SIZE);
	if (!hv->simp || !hv->sief) {
		log_err("hv: cannot map the SynIC message or event page");
		rc = -EIO;
		goto err;
	}
	clear_slot(hv, true);

	/* SINT2 unmasked: a masked SINT gets no messages at all on Hyper-V
	 * (iPXE's experiment; OpenVMM). We poll with interrupts off, so the
	 * vector is never taken; AutoEOI spares an APIC EOI. */
	v = hv->found_sint & ~(HV_SINT_VECTOR_MASK | HV_SINT_MASKED | HV_SINT_AUTO_EOI |
			       HV_SINT_POLLING | (1ull << 19) | (1ull << 20));
	v |= HV_SYNIC_VECTOR | (hv->auto_eoi ? HV_SINT_AUTO_EOI : 0);
	hv_wrmsr(s, HV_MSR_SINT(VMBUS_SINT_SLOT), v);

	/* SCONTROL: the reset value is disputed (facts 1.4), so always set it. */
	hv_wrmsr(s, HV_MSR_SCONTROL, hv->found_scontrol | HV_MSR_ENABLE);
	return 0;
err:
	hv_teardown(hv);
	return rc;
}

void hv_teardown(struct hv *hv)
{
	struct hv_seam *s = hv->seam;

	if (!s)
		return;
	if (hv->synic_on) {
		/* Mask SINT2 (reserved bits as found, AutoEOI off), empty our slot
		 * and flags (the overlays outlive us), then the pages. */
		uint64_t sint = hv_rdmsr(s, HV_MSR_SINT(VMBUS_SINT_SLOT));

		sint = (sint & ~(HV_SINT_VECTOR_MASK | HV_SINT_AUTO_EOI | HV_SINT_POLLING)) |
		       HV_SINT_MASKED;
		hv_wrmsr(s, HV_MSR_SINT(VMBUS_SINT_SLOT), sint);
		if (hv->simp && hv->sief)
			clear_slot(hv, false);
		hv_wrmsr(s, HV_MSR_SIMP, hv_rdmsr(s, HV_MSR_SIMP) & HV_MSR_RSVD_MASK);
		hv_wrmsr(s, HV_MSR_SIEFP, hv_rdmsr(s, HV_MSR_SIEFP) & HV_MSR_RSVD_MASK);
		/* SCONTROL back to what we found. Leave it enabled if it was:
		 * Windows Server 2016 hangs if it finds it clear (iPXE). */
		hv_wrmsr(s, HV_MSR_SCONTROL, hv->found_scontrol);
		hv->simp = NULL;
		hv->sief = NULL;
		hv->synic_on = false;
	}
	if (hv->hypercall_on || (hv->os_id_set && (hv_rdmsr(s, HV_MSR_HYPERCALL) & HV_MSR_ENABLE))) {
		hv_wrmsr(s, HV_MSR_HYPERCALL, hv_rdmsr(s, HV_MSR_HYPERCALL) & HV_MSR_RSVD_MASK);
		s->hypercall_page = NULL;
		hv->hypercall_on = false;
	}
	if (hv->os_id_set) {
		hv_wrmsr(s, HV_MSR_GUEST_OS_ID, 0); /* last, after the hypercall page */
		hv->os_id_set = false;
	}
	free_pages(hv);
}

uint64_t hv_time(struct hv *hv) { return hv_rdmsr(hv->seam, HV_MSR_TIME_REF_COUNT); }

void hv_delay(struct hv *hv, uint64_t ticks)
{
	uint64_t end = hv_time(hv) + ticks;

	while (hv_time(hv) < end)
		hv_idle(hv->seam);
}

uint16_t hv_post_message(struct hv *hv, uint32_t connection_id, const void *msg, uint32_t len)
{
	uint64_t backoff = HV_POST_BACKOFF_FIRST;
	uint16_t status;

	if (len > HV_MESSAGE_PAYLOAD_MAX || !hv->hypercall_on)
		return HV_STATUS_INVALID_PARAMETER;
	for (unsigned attempt = 0;; attempt++) {
		memset(hv->post, 0, sizeof(*hv->post));
		hv->post->connection_id = connection_id;
		hv->post->message_type = HV_MESSAGE_TYPE_VMBUS;
		hv->post->payload_size = len;
		memcpy(hv->post->payload, msg, len);
		status = HV_CALL_STATUS(hv->seam->hypercall(hv->seam, HV_CALL_POST_MESSAGE,
							      hv->io_gpa, 0));
		if (status != HV_STATUS_INSUFFICIENT_BUFFERS || attempt == HV_POST_RETRIES)
			break;
		/* The host's 16 message buffers are full: give it time. */
		hv_delay(hv, backoff);
		backoff = HVB_MIN(backoff * 2, (uint64_t)HV_POST_BACKOFF_MAX);
	}
	return status;
}

uint16_t hv_signal_event(struct hv *hv, uint32_t connection_id)
{
	if (!hv->hypercall_on)
		return HV_STATUS_INVALID_PARAMETER;
	/* Fast form: RDX = connection id | flag number << 32 (flag 0). */
	return HV_CALL_STATUS(hv->seam->hypercall(hv->seam, HV_CALL_SIGNAL_EVENT | HV_CALL_FAST,
						  connection_id, 0));
}

int hv_recv_message(struct hv *hv, struct hv_message *out)
{
	struct hv_message *slot = &hv->simp[VMBUS_SINT_SLOT];
	uint32_t type = hvb_read32(&slot->type);

	if (type == HV_MESSAGE_TYPE_NONE)
		return 0;
	/* Receives data from the host: one copy, then only the copy is read. */
	memcpy(out, slot, sizeof(*out));
	out->type = type;
	hvb_write32(&slot->type, HV_MESSAGE_TYPE_NONE);
	hvb_mb(); /* the slot must be seen free before we look at the pending flag */
	if (hvb_read8(&slot->flags) & HV_MSG_FLAG_PENDING)
		hv_wrmsr(hv->seam, HV_MSR_EOM, 0);

	if (type != HV_MESSAGE_TYPE_VMBUS) {
		hv->rejected_messages++;
		log_warn("hv: ignored a SynIC message of type 0x%08x in the VMBus slot "
			 "(VMBus messages are type 1)", type);
		return 0;
	}
	if (out->payload_size > HV_MESSAGE_PAYLOAD_MAX) {
		hv->rejected_messages++;
		log_warn("hv: rejected a host message claiming %u payload bytes (at most %u)",
			 out->payload_size, HV_MESSAGE_PAYLOAD_MAX);
		return 0;
	}
	/* Bytes past payload_size are not part of the message: zero them so a
	 * reader of a short message sees zeros, never stale slot bytes. */
	memset(out->payload + out->payload_size, 0, HV_MESSAGE_PAYLOAD_MAX - out->payload_size);
	return 1;
}
