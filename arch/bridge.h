/* The bridge backend of the hypervisor seam: hvboot.efi inside QEMU, with
 * hvsim as a separate process playing the hypervisor. Guest memory is
 * shared (QEMU's RAM is a file hvsim maps), so the seam's memory functions
 * are local: pointer = base + GPA. The four primitives (cpuid, rdmsr, wrmsr,
 * hypercall) are round trips over a byte transport (COM2 on the target, a
 * socket in the hosted tests) in the format of arch/bridge_proto.h. Clock
 * reads (TIME_REF_COUNT) come from a page the host keeps current, not from
 * round trips.
 *
 * Portable C: built hosted (tests) and freestanding (the UEFI image); it
 * needs nothing from a libc but string.h. */
#ifndef ARCH_BRIDGE_H
#define ARCH_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvseam.h"

/* Byte transport. put and get never block: 1 = one byte moved, 0 = not now
 * (transmitter busy / nothing received yet), < 0 = the transport is broken.
 * now_us is a monotonic microsecond clock for the timeouts (the TSC on the
 * target: the bridge must bound its waits before the time page exists and
 * when the host stops keeping it). */
struct bridge_transport {
	int (*put)(void *ctx, uint8_t b);
	int (*get)(void *ctx, uint8_t *b);
	uint64_t (*now_us)(void *ctx);
	void *ctx;
};

/* Guest memory as the creator knows it. pointer = base + GPA (base 0 under
 * UEFI's identity mapping; the test's mapping of the RAM file when hosted).
 * size bounds the GPAs that map() accepts (0: only what the host's HELLO
 * reports). alloc returns page-aligned, physically contiguous pages of
 * guest RAM (e.g. the UEFI page allocator set aside before
 * ExitBootServices), NULL when out; the bridge zeroes them. */
struct bridge_mem {
	uintptr_t base;
	uint64_t size;
	void *(*alloc)(void *ctx, size_t npages);
	void (*free)(void *ctx, void *ptr, size_t npages);
	void *ctx;
};

/* Counters: what the link costs. */
struct bridge_stats {
	uint64_t requests;   /* round trips completed */
	uint64_t wait_us;    /* time spent in them, in now_us units */
	uint64_t max_us;     /* the longest one */
	uint64_t time_reads; /* TIME_REF_COUNT reads answered from the time page */
};

struct bridge {
	struct hv_seam seam; /* what bridge_seam() returns; name "bridge" */
	struct bridge_transport tr;
	struct bridge_mem mem;
	uint32_t version;    /* BRIDGE_PROTO_VERSION; a test may change it before attach */
	uint64_t timeout_us; /* BRIDGE_TIMEOUT_US; per request, and for the time page */

	/* state */
	uint32_t seq;
	bool attached, detached, failed;
	uint32_t host_version;
	uint64_t host_ram;   /* from HELLO */
	uint64_t limit;      /* GPAs [0, limit) are guest memory */
	char error[200];     /* the first failure, one sentence */

	/* the time page */
	volatile uint64_t *time_page;
	void *time_alloc;
	uint64_t time_gpa;
	uint64_t time_raw, time_raw_us;   /* last value seen and when it changed */
	uint64_t time_last, time_last_us; /* last value returned and when */

	struct bridge_stats stats;
};

/* Fills b (no I/O). The seam is usable for memory at once; the primitives
 * after bridge_attach. */
void bridge_init(struct bridge *b, const struct bridge_transport *tr, const struct bridge_mem *mem);
/* Drains stale input, sends the sync string and HELLO (both sides check the
 * protocol version), then sets up the time page (one page from mem.alloc,
 * TIME_PAGE). 0, or -ETIMEDOUT (no answer within timeout_us), -EPROTO
 * (versions differ, or a malformed answer), -ENOMEM, -EIO (transport);
 * bridge_error() then says what happened in one sentence. */
int bridge_attach(struct bridge *b);
/* DETACH: the host stops serving and prints its audit. Call it after the
 * VMBus teardown, as the last thing before handing off. 0 when the host
 * acknowledged (*host_clean, if not NULL, is its audit verdict), else
 * -errno as bridge_attach. The seam must not be used afterwards. */
int bridge_detach(struct bridge *b, bool *host_clean);
struct hv_seam *bridge_seam(struct bridge *b);
/* The seam's functions cannot return errors: a request that failed (timeout,
 * corrupt reply, host error) marks the bridge failed, logs the sentence
 * once, and from then on every primitive returns at once with a value that
 * makes its caller fail safely: cpuid all zeros (no hypervisor), rdmsr 0
 * (nothing enabled), hypercall HV_STATUS_INVALID_HYPERCALL_CODE, wrmsr
 * nothing. The clock keeps running on now_us so every deadline still
 * passes. */
bool bridge_failed(const struct bridge *b);
const char *bridge_error(const struct bridge *b); /* "" when not failed */

#endif
