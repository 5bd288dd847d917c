/* hvsim: the host side. A model of what a Hyper-V host shows a guest (CPUID,
 * synthetic MSRs, hypercall page, SynIC, VMBus server and devices), run in
 * the guest's process (stepped or threaded) or, from stage 5, as a bridge
 * server for QEMU. Everything the guest does wrong is recorded as a
 * violation; everything it leaves behind shows in the audit. */
#ifndef HVSIM_H
#define HVSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../arch/hvseam.h"

/* What CPUID says (facts 1.1-1.3). */
enum hvsim_cpuid_profile {
	HVSIM_CPUID_HYPERV,       /* full Hyper-V */
	HVSIM_CPUID_NONE,         /* bare metal: no hypervisor bit */
	HVSIM_CPUID_OTHER_HV,     /* a hypervisor, but not "Hv#1" (e.g. plain KVM) */
	HVSIM_CPUID_NO_VENDOR,    /* "Hv#1" without the "Microsoft Hv" vendor (KVM+hv) */
	HVSIM_CPUID_NO_HYPERCALL, /* Hyper-V without hypercall MSRs */
	HVSIM_CPUID_NO_SYNIC,     /* Hyper-V without SynIC MSRs */
	HVSIM_CPUID_NO_POST,      /* Hyper-V without PostMessages/SignalEvents */
};

/* Host misbehaviour, for hostile-host tests. Seeded and reproducible. */
enum hvsim_fault {
	HVSIM_FAULT_SHORT_MSG = 1u << 0,      /* an OFFERCHANNEL cut to 100 bytes */
	HVSIM_FAULT_OVERSIZE_MSG = 1u << 1,   /* a slot claiming payload_size 250 */
	HVSIM_FAULT_UNKNOWN_TYPE = 1u << 2,   /* a channel message of type 99 */
	HVSIM_FAULT_HV_MSG_TYPE = 1u << 3,    /* a SynIC message of type 0x80000010 */
	HVSIM_FAULT_DUP_RELID = 1u << 4,      /* two offers with one relid */
	HVSIM_FAULT_OFFER_SIZE = 1u << 5,     /* a 190-byte offer at >= WIN7 */
	HVSIM_FAULT_EARLY_MSG = 1u << 6,      /* an offer before VERSION_RESPONSE */
	HVSIM_FAULT_BAD_RELID = 1u << 7,      /* offers with relid 0 and 4000 */
	HVSIM_FAULT_BAD_MONITOR = 1u << 8,    /* monitor_allocated with monitorid 200 */
	HVSIM_FAULT_NO_UNLOAD_RESPONSE = 1u << 9,
	HVSIM_FAULT_PORT_BUSY = 1u << 10,     /* the first posts get INSUFFICIENT_BUFFERS */
	HVSIM_FAULT_NO_VERSION_RESPONSE = 1u << 11,
	HVSIM_FAULT_NO_ALLOFFERS = 1u << 12,
	HVSIM_FAULT_VERSION_FAILED = 1u << 13, /* accepts, with connection_state 1 */
	HVSIM_FAULT_DIRTY_START = 1u << 14,   /* an earlier owner left the SynIC and hypercall page on */
};

struct hvsim_config {
	uint64_t seed;                  /* fixes all randomness */
	uint32_t vmbus_max;             /* newest version offered; 0 = 6.0 */
	uint32_t msg_conn_id;           /* VERSION_RESPONSE connection id for >= 5.0; 0 = 1 */
	enum hvsim_cpuid_profile cpuid;
	size_t mem_mib;                 /* guest RAM; 0 = 64 MiB */
	const char *devices;            /* "storvsc,netvsc,heartbeat*30"; NULL = default set */
	FILE *trace;                    /* one line per message and packet; NULL = off */
	bool threaded;                  /* host runs in its own thread */
	bool reserved_bits;             /* SynIC MSRs come up with reserved bits set (RsvdP test) */
	uint32_t faults;                /* enum hvsim_fault */
};

struct hvsim;

/* Returns NULL and prints why on a bad configuration. */
struct hvsim *hvsim_create(const struct hvsim_config *cfg);
void hvsim_destroy(struct hvsim *sim);
/* The guest's view: a seam bound to this simulator. */
struct hv_seam *hvsim_seam(struct hvsim *sim);
/* One host step (stepped mode; called from the guest's idle hook). */
void hvsim_step(struct hvsim *sim);

/* Guest protocol violations seen so far (a test fails on any). */
unsigned hvsim_violation_count(struct hvsim *sim);
const char *hvsim_violation(struct hvsim *sim, unsigned i);

/* Audit of what the guest left behind. handoff: the guest claims it handed
 * off, so UNLOAD must have been seen. Writes "audit: clean" or
 * "audit: <what is left>" (one line) into buf; returns true when clean. */
bool hvsim_audit(struct hvsim *sim, bool handoff, char *buf, size_t len);

/* Counters for tests. */
struct hvsim_stats {
	unsigned posts;              /* HvPostMessage calls that succeeded */
	unsigned hypercalls_failed;  /* answered with a status other than SUCCESS */
	unsigned messages_delivered; /* into the SINT2 slot */
	unsigned eom_writes;
	unsigned msr_writes_hv;      /* writes to synthetic MSRs */
	uint32_t last_post_conn;     /* connection of the last accepted post */
	uint32_t contact_conn;       /* connection INITIATE_CONTACT was accepted on */
	uint32_t version;            /* negotiated version, 0 when not connected */
	unsigned unloads;
	unsigned offers_sent;
};
void hvsim_get_stats(struct hvsim *sim, struct hvsim_stats *st);

/* Low-level access for hypervisor-model tests: post a channel message to
 * the guest's SINT2 as the VMBus server would. */
void hvsim_post_to_guest(struct hvsim *sim, const void *payload, uint32_t len);

/* "storvsc,netvsc" etc.: the default device list. */
extern const char hvsim_default_devices[];

#endif
