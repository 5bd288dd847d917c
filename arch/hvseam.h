/* The hypervisor seam: everything above arch/ reaches the hypervisor through
 * these four primitives plus guest-physical memory. Backends:
 *   native  arch/x86_64/native.c  real instructions on Hyper-V;
 *   sim     sim/seam_sim.c        in-process hvsim (hosted build, tests);
 *   bridge  arch/bridge.c         hvboot.efi in QEMU, primitives over COM2.
 * The backend is chosen at run time by whoever builds the struct. */
#ifndef HVSEAM_H
#define HVSEAM_H

#include <stddef.h>
#include <stdint.h>

struct hv_cpuid {
	uint32_t eax, ebx, ecx, edx;
};

struct hv_seam {
	const char *name; /* "native", "sim", "bridge" */

	void (*cpuid)(struct hv_seam *s, uint32_t leaf, struct hv_cpuid *out);
	uint64_t (*rdmsr)(struct hv_seam *s, uint32_t msr);
	void (*wrmsr)(struct hv_seam *s, uint32_t msr, uint64_t value);
	/* control = hypercall input value (RCX); in/out = input and output
	 * GPAs (RDX, R8), or the two register halves of a fast call.
	 * Returns the hypercall output value (RAX). */
	uint64_t (*hypercall)(struct hv_seam *s, uint64_t control, uint64_t in, uint64_t out);

	/* Guest-physical memory. map: a pointer to len bytes at gpa, NULL when
	 * that range is not guest memory. gpa_of: the GPA of a pointer obtained
	 * from map or alloc, UINT64_MAX otherwise. alloc: npages zeroed,
	 * page-aligned, contiguous pages (NULL when out of memory). */
	void *(*map)(struct hv_seam *s, uint64_t gpa, size_t len);
	uint64_t (*gpa_of)(struct hv_seam *s, const void *ptr);
	void *(*alloc)(struct hv_seam *s, size_t npages, uint64_t *gpa);
	void (*free)(struct hv_seam *s, void *ptr, size_t npages);

	/* The guest has nothing to do: sim runs the host one step, native
	 * executes PAUSE. Every polling wait calls it. */
	void (*idle)(struct hv_seam *s);

	/* Set by vmbus/hv.c while the hypercall page is enabled; the native
	 * backend calls into it. */
	void *hypercall_page;
};

static inline void hv_cpuid(struct hv_seam *s, uint32_t leaf, struct hv_cpuid *out)
{
	s->cpuid(s, leaf, out);
}
static inline uint64_t hv_rdmsr(struct hv_seam *s, uint32_t msr) { return s->rdmsr(s, msr); }
static inline void hv_wrmsr(struct hv_seam *s, uint32_t msr, uint64_t v) { s->wrmsr(s, msr, v); }
static inline void hv_idle(struct hv_seam *s) { s->idle(s); }

#endif
