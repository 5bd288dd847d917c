#include "pagepool.h"

#include <string.h>

#include "util.h"

static int bit_get(const struct pagepool *pp, size_t i)
{
	return (int)((pp->bitmap[i / 64] >> (i % 64)) & 1);
}

static void bit_set(struct pagepool *pp, size_t i, int v)
{
	if (v)
		pp->bitmap[i / 64] |= 1ull << (i % 64);
	else
		pp->bitmap[i / 64] &= ~(1ull << (i % 64));
}

void pagepool_init(struct pagepool *pp, uint64_t base_gpa, void *base, size_t npages,
		   uint64_t *bitmap)
{
	pp->base_gpa = base_gpa;
	pp->base = base;
	pp->npages = npages;
	pp->bitmap = bitmap;
	pp->hint = 0;
	pp->in_use = 0;
	memset(bitmap, 0, (npages + 63) / 64 * sizeof(uint64_t));
}

void *pagepool_alloc(struct pagepool *pp, size_t npages, uint64_t *gpa)
{
	size_t run = 0;

	if (npages == 0 || npages > pp->npages)
		return NULL;
	/* First fit from the hint, then once more from the start. */
	for (int pass = 0; pass < 2; pass++) {
		size_t start = pass ? 0 : pp->hint;

		run = 0;
		for (size_t i = start; i < pp->npages; i++) {
			if (bit_get(pp, i)) {
				run = 0;
				continue;
			}
			if (++run == npages) {
				size_t first = i + 1 - npages;
				uint8_t *p = pp->base + first * HVB_PAGE_SIZE;

				for (size_t j = first; j <= i; j++)
					bit_set(pp, j, 1);
				pp->hint = i + 1;
				pp->in_use += npages;
				memset(p, 0, npages * HVB_PAGE_SIZE);
				*gpa = pp->base_gpa + (uint64_t)first * HVB_PAGE_SIZE;
				return p;
			}
		}
	}
	return NULL;
}

void pagepool_free(struct pagepool *pp, void *ptr, size_t npages)
{
	size_t first;

	if (!ptr)
		return;
	first = (size_t)((uint8_t *)ptr - pp->base) / HVB_PAGE_SIZE;
	for (size_t j = first; j < first + npages && j < pp->npages; j++)
		bit_set(pp, j, 0);
	pp->in_use -= npages;
	if (first < pp->hint)
		pp->hint = first;
}

void *pagepool_ptr(const struct pagepool *pp, uint64_t gpa, size_t len)
{
	uint64_t size = (uint64_t)pp->npages * HVB_PAGE_SIZE;

	if (gpa < pp->base_gpa || gpa - pp->base_gpa > size || len > size - (gpa - pp->base_gpa))
		return NULL;
	return pp->base + (gpa - pp->base_gpa);
}

uint64_t pagepool_gpa(const struct pagepool *pp, const void *ptr)
{
	const uint8_t *p = ptr;

	if (p < pp->base || p >= pp->base + pp->npages * HVB_PAGE_SIZE)
		return UINT64_MAX;
	return pp->base_gpa + (uint64_t)(p - pp->base);
}
