/* The main flow, the same in hvboot.efi and in the hosted tests: hypervisor
 * and VMBus up, storvsc and netvsc brought up concurrently (only those the
 * sources need), the kernel and the initrd loaded and checked, then the full
 * VMBus teardown. What is left is the loaded bytes, in pages of the seam's
 * allocator that outlive the teardown, ready for the Linux handoff.
 *
 * Diag mode (flow_diag) shows what the host offers and how fast it is,
 * as human lines and as one JSON object per line. */
#ifndef BOOT_FLOW_H
#define BOOT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../arch/hvseam.h"
#include "../lib/sha256.h"

/* One payload: where it comes from and, optionally, its digest. */
struct flow_source {
	const char *label;   /* "kernel", "initrd" */
	const char *spec;    /* scsi:..., tftp://..., http://..., dhcp; NULL = none */
	bool has_sha256;
	uint8_t sha256[SHA256_DIGEST_LEN];
};

struct flow_params {
	struct flow_source kernel, initrd;
	unsigned timeout_s;       /* every wait on the host or the network; 0 = 30 */
	unsigned queue_depth;     /* storvsc requests in flight; 0 = 32 */
	uint64_t net_max_bytes;   /* largest network download; 0 = 256 MiB */
	/* Unpredictable numbers for the network stack (RDRAND in the image);
	 * NULL = the reference time through a xorshift. */
	uint32_t (*random)(void *ctx);
	void *random_ctx;
	/* A load's progress: called as bytes land (done of total, total 0 when
	 * unknown), and once with done == total at the end. May be NULL. */
	void (*progress)(void *ctx, const char *label, uint64_t done, uint64_t total,
			 uint64_t elapsed_us);
	void *progress_ctx;
	/* Diag: human lines and JSON lines. NULL = nowhere. */
	void (*line)(const char *text, void *ctx);
	void (*json)(const char *text, void *ctx);
	void *out_ctx;
};

/* A loaded payload: npages pages of the seam's allocator at data. */
struct flow_buf {
	void *data;
	uint64_t gpa;
	uint64_t size, npages;
};

struct flow_result {
	struct flow_buf kernel, initrd;
	char error[256];          /* why the flow failed, one sentence; "" on success */
	uint64_t bringup_us;      /* from VMBus connected to every device ready */
};

/* Runs the boot flow on seam. 0 with the payloads in r (release them with
 * flow_release when not handing off), or -errno with r->error set; either
 * way VMBus, the SynIC and the hypercall page have been torn down. */
int flow_boot(struct hv_seam *seam, const struct flow_params *p, struct flow_result *r);
void flow_release(struct hv_seam *seam, struct flow_result *r);

/* Diag mode: hypervisor, VMBus version, offers, LUNs, NIC and lease, a
 * short disk and network throughput measurement; then the teardown.
 * 0, or -errno with r->error set. */
int flow_diag(struct hv_seam *seam, const struct flow_params *p, struct flow_result *r);

/* Whether a source spec names a disk ("scsi:") rather than the network. */
bool flow_is_disk(const char *spec);

#endif
