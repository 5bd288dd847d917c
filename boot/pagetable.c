#include "pagetable.h"

#include <string.h>

/* x86-64 paging entry bits (Intel SDM vol. 3, 4.5). */
#define PTE_P 0x1ull   /* present */
#define PTE_RW 0x2ull  /* writable */
#define PTE_PS 0x80ull /* in a PD entry: a 2 MiB page */
#define GIB (1ull << 30)
#define MIB2 (2ull << 20)

size_t pagetable_pages(uint64_t limit)
{
	return 2 + (size_t)((limit + GIB - 1) / GIB);
}

uint64_t pagetable_build(void *buf, uint64_t phys, uint64_t limit)
{
	uint64_t gibs = (limit + GIB - 1) / GIB;
	uint64_t *pml4 = buf, *pdpt = pml4 + 512, *pd = pdpt + 512;

	if (limit == 0 || gibs > PT_MAX_GIB)
		return 0;
	memset(buf, 0, pagetable_pages(limit) * 4096);
	pml4[0] = (phys + 4096) | PTE_P | PTE_RW;
	for (uint64_t g = 0; g < gibs; g++) {
		pdpt[g] = (phys + 8192 + g * 4096) | PTE_P | PTE_RW;
		for (uint64_t i = 0; i < 512; i++)
			pd[g * 512 + i] = (g * GIB + i * MIB2) | PTE_P | PTE_RW | PTE_PS;
	}
	return phys; /* CR3: the PML4's address, PCD/PWT clear */
}
