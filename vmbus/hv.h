/* The hypervisor layer of the guest: detection, guest OS id, hypercall page,
 * SynIC, post message, signal event, the VMBus message slot, reference time.
 * Everything goes through the seam (arch/hvseam.h). */
#ifndef VMBUS_HV_H
#define VMBUS_HV_H

#include <stdbool.h>
#include <stdint.h>

#include "../arch/hvseam.h"
#include "hv_proto.h"

/* Policy. */
#define VMBUS_SINT_SLOT 2u         /* VMBus uses SINT2: slot 2 of SIMP and SIEF */
#define HV_SYNIC_VECTOR 0xF3u      /* we poll with interrupts off: never taken */
#define HV_POST_RETRIES 20u        /* on INSUFFICIENT_BUFFERS */
#define HV_POST_BACKOFF_FIRST 100u /* 10 us, doubling ... */
#define HV_POST_BACKOFF_MAX 1000000u /* ... up to 100 ms: at most ~1.6 s in all */
#define HV_TICKS_PER_SEC 10000000ull /* reference time: 100 ns units */
#define HV_TICKS_PER_MS 10000ull
/* Our GUEST_OS_ID: open source, OS type 0x48 'H' (not one of the registered
 * Linux/FreeBSD/Xen/Illumos values), OS id 0x42 'B', version 0.1.0. */
#define HVBOOT_GUEST_OS_ID (HV_GUEST_OS_ID_OPEN_SOURCE | 0x48ull << 56 | 0x42ull << 48 | 0x000100ull << 16)

/* What detection found (no MSR is touched to find it). */
struct hv_info {
	uint32_t max_leaf;
	char vendor[13];
	uint32_t build;
	uint16_t version_major, version_minor;
	uint32_t priv_eax, priv_ebx, features_edx, recommendations;
};

struct hv {
	struct hv_seam *seam;
	struct hv_info info;
	uint32_t vp_index;
	bool auto_eoi;

	/* Pages we own: RAM allocations, and the overlay mappings of SIMP and
	 * SIEFP (on Hyper-V those hide the RAM at their GPA). */
	void *hypercall_ram, *simp_ram, *siefp_ram, *io_ram;
	uint64_t hypercall_gpa, simp_gpa, siefp_gpa, io_gpa;
	struct hv_message *simp;          /* overlay; slot n = simp[n] */
	uint8_t *sief;                    /* overlay */
	struct hv_post_message_input *post; /* hypercall input page */

	/* MSR values found at start: reserved bits are kept as found and
	 * SCONTROL goes back to what it was. */
	uint64_t found_guest_os_id, found_hypercall, found_scontrol, found_simp, found_siefp,
		found_sint;

	bool os_id_set, hypercall_on, synic_on;
	unsigned rejected_messages; /* host messages rejected by validation */
};

/* Detection only (CPUID): 0, or -ENODEV / -EACCES with one log line saying
 * exactly what is missing. */
int hv_detect(struct hv_seam *seam, struct hv_info *info);
/* Detection, then GUEST_OS_ID, hypercall page, SIMP, SIEFP, SINT2, SCONTROL.
 * On failure everything done so far is undone. */
int hv_init(struct hv *hv, struct hv_seam *seam);
/* Back to the state found: SINT2 masked, SIMP, SIEFP off, SCONTROL as
 * found, hypercall page off, GUEST_OS_ID 0. Safe to call twice. */
void hv_teardown(struct hv *hv);

/* HvPostMessage with bounded retry on INSUFFICIENT_BUFFERS. Returns the
 * final HV_STATUS (0 = success). */
uint16_t hv_post_message(struct hv *hv, uint32_t connection_id, const void *msg, uint32_t len);
/* HvSignalEvent (fast form), flag 0. Returns the HV_STATUS. */
uint16_t hv_signal_event(struct hv *hv, uint32_t connection_id);

/* Takes the message in the VMBus slot (SINT2), if any: copies it once,
 * frees the slot (type = 0, barrier, EOM only if MessagePending), then
 * validates the copy. Returns 1 with a valid VMBus message in *out, 0 when
 * the slot was empty or held something rejected (logged once, counted). */
int hv_recv_message(struct hv *hv, struct hv_message *out);

/* Reference time in 100 ns units. */
uint64_t hv_time(struct hv *hv);
/* Wait ticks of reference time, letting the host run (never a bare spin). */
void hv_delay(struct hv *hv, uint64_t ticks);

#endif
