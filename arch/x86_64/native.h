/* The native backend of the hypervisor seam: real CPUID/RDMSR/WRMSR and the
 * hypercall page, with guest-physical memory identity-mapped (UEFI). */
#ifndef ARCH_NATIVE_H
#define ARCH_NATIVE_H

#include "../../lib/pagepool.h"
#include "../hvseam.h"

struct native_seam {
	struct hv_seam seam;
	struct pagepool pool;
};

/* Binds the seam to a region of identity-mapped RAM [base, base + npages
 * pages) that the boot code set aside for VMBus structures; bitmap holds
 * (npages + 63) / 64 words. */
void native_seam_init(struct native_seam *ns, void *base, size_t npages, uint64_t *bitmap);

#endif
