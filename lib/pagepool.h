/* A page allocator over one contiguous run of guest-physical pages that is
 * mapped at a known address. The sim backend uses it over hvsim's arena; the
 * native backend over a region the boot code hands it. */
#ifndef HVB_PAGEPOOL_H
#define HVB_PAGEPOOL_H

#include <stddef.h>
#include <stdint.h>

struct pagepool {
	uint64_t base_gpa;  /* GPA of page 0 (page aligned) */
	uint8_t *base;      /* where page 0 is mapped */
	size_t npages;
	uint64_t *bitmap;   /* 1 = in use; caller-provided, (npages + 63) / 64 words */
	size_t hint;        /* first page worth searching from */
	size_t in_use;
};

/* The bitmap must hold (npages + 63) / 64 words. */
void pagepool_init(struct pagepool *pp, uint64_t base_gpa, void *base, size_t npages,
		   uint64_t *bitmap);
/* npages contiguous zeroed pages, or NULL. *gpa receives their GPA. */
void *pagepool_alloc(struct pagepool *pp, size_t npages, uint64_t *gpa);
void pagepool_free(struct pagepool *pp, void *ptr, size_t npages);
/* Translation; NULL / UINT64_MAX when outside the pool. */
void *pagepool_ptr(const struct pagepool *pp, uint64_t gpa, size_t len);
uint64_t pagepool_gpa(const struct pagepool *pp, const void *ptr);

#endif
