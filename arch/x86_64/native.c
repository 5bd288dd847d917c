/* Native backend: the only code that executes the real instructions. It must
 * build freestanding (no libc): it runs after ExitBootServices. */
#include "native.h"

static void native_cpuid(struct hv_seam *s, uint32_t leaf, struct hv_cpuid *r)
{
	(void)s;
	__asm__ volatile("cpuid"
			 : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
			 : "a"(leaf), "c"(0));
}

static uint64_t native_rdmsr(struct hv_seam *s, uint32_t msr)
{
	uint32_t lo, hi;

	(void)s;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static void native_wrmsr(struct hv_seam *s, uint32_t msr, uint64_t v)
{
	(void)s;
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

/* x86-64 hypercall convention (facts 1.6): RCX = input value, RDX = input
 * GPA (or first 8 bytes of a fast call), R8 = output GPA; status in RAX.
 * RCX, RDX, R8-R11 and flags are clobbered. */
static uint64_t native_hypercall(struct hv_seam *s, uint64_t control, uint64_t in, uint64_t out)
{
	uint64_t status;
	register uint64_t r8 __asm__("r8") = out;

	if (!s->hypercall_page)
		return 0x0002; /* INVALID_HYPERCALL_CODE: never jump into a disabled page */
	__asm__ volatile("call *%[page]"
			 : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
			 : [page] "m"(s->hypercall_page)
			 : "r9", "r10", "r11", "cc", "memory");
	return status;
}

static void *native_map(struct hv_seam *s, uint64_t gpa, size_t len)
{
	(void)s;
	(void)len;
	return (void *)(uintptr_t)gpa; /* identity mapping under UEFI */
}

static uint64_t native_gpa_of(struct hv_seam *s, const void *ptr)
{
	(void)s;
	return (uint64_t)(uintptr_t)ptr;
}

static void *native_alloc(struct hv_seam *s, size_t npages, uint64_t *gpa)
{
	return pagepool_alloc(&((struct native_seam *)s)->pool, npages, gpa);
}

static void native_free(struct hv_seam *s, void *ptr, size_t npages)
{
	pagepool_free(&((struct native_seam *)s)->pool, ptr, npages);
}

static void native_idle(struct hv_seam *s)
{
	(void)s;
	__asm__ volatile("pause");
}

void native_seam_init(struct native_seam *ns, void *base, size_t npages, uint64_t *bitmap)
{
	ns->seam = (struct hv_seam){
		.name = "native",
		.cpuid = native_cpuid,
		.rdmsr = native_rdmsr,
		.wrmsr = native_wrmsr,
		.hypercall = native_hypercall,
		.map = native_map,
		.gpa_of = native_gpa_of,
		.alloc = native_alloc,
		.free = native_free,
		.idle = native_idle,
	};
	pagepool_init(&ns->pool, (uint64_t)(uintptr_t)base, base, npages, bitmap);
}
