/* The memory side of the Linux boot protocol (see linux.h): the EFI memory
 * map checked, converted into the zero page's e820 table, and searched for
 * room for the kernel and initrd. The map comes from the firmware, which we
 * trust no more than we must: every descriptor is checked for alignment and
 * wrap-around, and overlapping descriptors are refused, before anything is
 * placed by it. No allocation; builds freestanding too. */
#include "linux.h"

#include <errno.h>
#include <string.h>

#include "../lib/log.h"
#include "linux_proto.h"

#define PAGE_4K 4096ull
#define SZ_1K 1024ull
#define SZ_4G (1ull << 32)

static unsigned long long ull(uint64_t v) { return (unsigned long long)v; }

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* Rounds x up to a power-of-two alignment; false when that passes 2^64. */
static bool align_up(uint64_t x, uint64_t align, uint64_t *out)
{
	if (x > UINT64_MAX - (align - 1))
		return false;
	*out = (x + align - 1) & ~(align - 1);
	return true;
}

/* ---- The EFI memory map ---- */

uint32_t linux_e820_type(uint32_t efi_type)
{
	switch (efi_type) {
	/* Ours and the firmware's boot-time memory is free once Linux runs:
	 * the zero page, command line and map in loader memory are copied or
	 * reserved by the kernel itself before it reuses RAM. */
	case EFI_MT_LOADER_CODE:
	case EFI_MT_LOADER_DATA:
	case EFI_MT_BOOT_SERVICES_CODE:
	case EFI_MT_BOOT_SERVICES_DATA:
	case EFI_MT_CONVENTIONAL:
		return E820_RAM;
	case EFI_MT_ACPI_RECLAIM:
		return E820_ACPI;
	case EFI_MT_ACPI_NVS:
		return E820_NVS;
	case EFI_MT_UNUSABLE:
		return E820_UNUSABLE;
	case EFI_MT_PERSISTENT:
		return E820_PMEM;
	default:
		/* Runtime services, MMIO, port space, PAL code, reserved, and
		 * any type newer than we know: never hand it out as RAM. */
		return E820_RESERVED;
	}
}

static uint64_t map_count(const struct linux_efi_map *m) { return m->size / m->desc_size; }

/* memcpy: the firmware's buffer has no alignment promise once desc_size
 * is not a multiple of 8. */
static void map_desc(const struct linux_efi_map *m, uint64_t i, struct efi_mem_desc *d)
{
	memcpy(d, (const uint8_t *)m->descs + i * m->desc_size, sizeof(*d));
}

static uint64_t desc_end(const struct efi_mem_desc *d)
{
	return d->phys_start + (d->num_pages << EFI_PAGE_SHIFT);
}

/* Checks the stride and each descriptor on its own (alignment, no wrap
 * past 2^64); map_walk then checks them against each other. */
static int map_check(const struct linux_efi_map *m)
{
	uint64_t n;

	if (!m) {
		log_err("EFI memory map: none was given");
		return -EINVAL;
	}
	if (m->desc_size < sizeof(struct efi_mem_desc) || m->desc_size > LINUX_EFI_DESC_SIZE_MAX) {
		log_err("EFI memory map: descriptor size %u is outside %u..%u bytes", m->desc_size,
			(unsigned)sizeof(struct efi_mem_desc), LINUX_EFI_DESC_SIZE_MAX);
		return -EINVAL;
	}
	if (m->size % m->desc_size) {
		log_err("EFI memory map: %llu bytes is not a whole number of %u-byte descriptors",
			ull(m->size), m->desc_size);
		return -EINVAL;
	}
	n = map_count(m);
	if (n > LINUX_EFI_MAP_MAX_DESCS) {
		log_err("EFI memory map: %llu descriptors, more than the %u a sane map has", ull(n),
			LINUX_EFI_MAP_MAX_DESCS);
		return -EINVAL;
	}
	if (n && !m->descs) {
		log_err("EFI memory map: %llu bytes but no buffer", ull(m->size));
		return -EINVAL;
	}
	for (uint64_t i = 0; i < n; i++) {
		struct efi_mem_desc d;

		map_desc(m, i, &d);
		if (d.phys_start & (PAGE_4K - 1)) {
			log_err("EFI memory map: descriptor %llu (type %u) starts at 0x%llx, not on a "
				"4 KiB boundary", ull(i), d.type, ull(d.phys_start));
			return -EINVAL;
		}
		if (d.num_pages > (UINT64_MAX >> EFI_PAGE_SHIFT) ||
		    (d.num_pages << EFI_PAGE_SHIFT) > UINT64_MAX - d.phys_start) {
			log_err("EFI memory map: descriptor %llu (type %u) at 0x%llx with %llu pages "
				"runs past 2^64", ull(i), d.type, ull(d.phys_start), ull(d.num_pages));
			return -EINVAL;
		}
	}
	return 0;
}

typedef int (*desc_fn)(void *ctx, const struct efi_mem_desc *d);

/* Calls fn for each nonempty descriptor in address order and refuses
 * overlapping ones. Selection rather than sorting: there is nowhere to sort
 * into, and at most LINUX_EFI_MAP_MAX_DESCS descriptors keep the quadratic
 * walk short. */
static int map_walk(const struct linux_efi_map *m, desc_fn fn, void *ctx)
{
	uint64_t n = map_count(m), prev_start = 0, prev_end = 0;
	bool first = true;

	for (;;) {
		struct efi_mem_desc best = { 0 }, d;
		uint64_t best_i = 0;
		unsigned same_start = 0;
		int rc;

		for (uint64_t i = 0; i < n; i++) {
			map_desc(m, i, &d);
			if (!d.num_pages || (!first && d.phys_start <= prev_start))
				continue;
			if (!same_start || d.phys_start < best.phys_start) {
				best = d;
				best_i = i;
				same_start = 1;
			} else if (d.phys_start == best.phys_start) {
				same_start++;
			}
		}
		if (!same_start)
			return 0;
		if (same_start > 1 || (!first && best.phys_start < prev_end)) {
			log_err("EFI memory map: descriptor %llu (type %u, 0x%llx-0x%llx) overlaps another "
				"descriptor", ull(best_i), best.type, ull(best.phys_start),
				ull(desc_end(&best) - 1));
			return -EINVAL;
		}
		rc = fn(ctx, &best);
		if (rc)
			return rc;
		prev_start = best.phys_start;
		prev_end = desc_end(&best);
		first = false;
	}
}

struct e820_ctx {
	struct linux_e820_entry *out;
	unsigned max;
	unsigned needed;     /* entries so far, stored or not */
	uint32_t last_type;  /* of entry needed - 1 */
	uint64_t last_end;
};

/* Entries arrive in address order: one that continues the last with the
 * same type extends it, any other starts a new one. Counting goes on past
 * max so the error can say how many the map needs. */
static int e820_add(void *ctx, const struct efi_mem_desc *d)
{
	struct e820_ctx *c = ctx;
	uint32_t type = linux_e820_type(d->type);
	uint64_t end = desc_end(d);

	if (c->needed && c->last_type == type && c->last_end == d->phys_start) {
		if (c->needed <= c->max)
			c->out[c->needed - 1].size += end - d->phys_start;
	} else {
		if (++c->needed <= c->max)
			c->out[c->needed - 1] = (struct linux_e820_entry){ d->phys_start,
									   end - d->phys_start, type };
	}
	c->last_type = type;
	c->last_end = end;
	return 0;
}

int linux_e820_from_efi(const struct linux_efi_map *map, struct linux_e820_entry *out,
			unsigned max, unsigned *count)
{
	struct e820_ctx c = { .out = out, .max = max };
	int rc;

	*count = 0;
	if ((rc = map_check(map)) != 0 || (rc = map_walk(map, e820_add, &c)) != 0)
		return rc;
	if (c.needed > max) {
		log_err("EFI memory map: it needs %u e820 entries after merging neighbours of one "
			"type, more than the %u there is room for", c.needed, max);
		return -E2BIG;
	}
	*count = c.needed;
	return 0;
}

/* ---- Placement ---- */

struct plan_env {
	const struct linux_efi_map *map;
	const struct linux_range *avoid;
	unsigned navoid;
	struct linux_range taken; /* the kernel, once placed (empty before) */
};

/* True when [a, b) lies in conventional memory. The walk has refused
 * overlapping descriptors, so the covered bytes add up exactly. */
static bool conventional(const struct plan_env *e, uint64_t a, uint64_t b)
{
	uint64_t n = map_count(e->map), covered = 0;

	for (uint64_t i = 0; i < n; i++) {
		struct efi_mem_desc d;
		uint64_t lo, hi;

		map_desc(e->map, i, &d);
		if (d.type != EFI_MT_CONVENTIONAL)
			continue;
		lo = max64(a, d.phys_start);
		hi = min64(b, desc_end(&d));
		if (lo < hi)
			covered += hi - lo;
	}
	return covered == b - a;
}

static bool meets(const struct linux_range *r, uint64_t a, uint64_t b)
{
	return r->start < r->end && a < r->end && r->start < b;
}

/* True when [a, a + size) is inside [lo, hi), conventional, and clear of
 * every avoided range and of what is already taken. */
static bool fits(const struct plan_env *e, uint64_t a, uint64_t size, uint64_t lo, uint64_t hi)
{
	uint64_t b;

	if (a < lo || a > hi || size > hi - a)
		return false;
	b = a + size;
	if (meets(&e->taken, a, b))
		return false;
	for (unsigned i = 0; i < e->navoid; i++)
		if (meets(&e->avoid[i], a, b))
			return false;
	return conventional(e, a, b);
}

/* The lowest aligned address where size bytes fit in [lo, hi). The lowest
 * fit is the aligned-up start of some free stretch, and a free stretch
 * starts at lo, at a conventional descriptor or where an avoided or taken
 * range ends: those are the only candidates to try. */
static bool lowest_fit(const struct plan_env *e, uint64_t size, uint64_t align, uint64_t lo,
		       uint64_t hi, uint64_t *out)
{
	uint64_t n = map_count(e->map), ncand = 1 + n + e->navoid + 1;
	bool found = false;

	for (uint64_t k = 0; k < ncand; k++) {
		uint64_t c, a;

		if (k == 0) {
			c = lo;
		} else if (k <= n) {
			struct efi_mem_desc d;

			map_desc(e->map, k - 1, &d);
			if (d.type != EFI_MT_CONVENTIONAL || !d.num_pages)
				continue;
			c = d.phys_start;
		} else if (k <= n + e->navoid) {
			c = e->avoid[k - 1 - n].end;
		} else {
			c = e->taken.end;
		}
		if (!align_up(max64(c, lo), align, &a) || (found && a >= *out))
			continue;
		if (fits(e, a, size, lo, hi)) {
			*out = a;
			found = true;
		}
	}
	return found;
}

/* The highest page-aligned address where size bytes fit in [lo, hi): the
 * mirror image, trying the ends of free stretches (hi, conventional
 * descriptor ends, starts of avoided and taken ranges). */
static bool highest_fit(const struct plan_env *e, uint64_t size, uint64_t lo, uint64_t hi,
			uint64_t *out)
{
	uint64_t n = map_count(e->map), ncand = 1 + n + e->navoid + 1;
	bool found = false;

	for (uint64_t k = 0; k < ncand; k++) {
		uint64_t c, a;

		if (k == 0) {
			c = hi;
		} else if (k <= n) {
			struct efi_mem_desc d;

			map_desc(e->map, k - 1, &d);
			if (d.type != EFI_MT_CONVENTIONAL || !d.num_pages)
				continue;
			c = desc_end(&d);
		} else if (k <= n + e->navoid) {
			c = e->avoid[k - 1 - n].start;
		} else {
			c = e->taken.start;
		}
		c = min64(c, hi);
		if (c < size)
			continue;
		a = (c - size) & ~(PAGE_4K - 1);
		if ((found && a <= *out) || !fits(e, a, size, lo, hi))
			continue;
		*out = a;
		found = true;
	}
	return found;
}

/* The largest stretch of conventional memory, for messages. */
struct run_ctx {
	uint64_t start, end;           /* the current run */
	uint64_t best_start, best_len; /* the largest */
};

static int conventional_run(void *ctx, const struct efi_mem_desc *d)
{
	struct run_ctx *r = ctx;

	if (d->type != EFI_MT_CONVENTIONAL) {
		r->start = r->end = 0;
		return 0;
	}
	if (r->end != d->phys_start || r->start == r->end)
		r->start = d->phys_start;
	r->end = desc_end(d);
	if (r->end - r->start > r->best_len) {
		r->best_len = r->end - r->start;
		r->best_start = r->start;
	}
	return 0;
}

int linux_plan(const struct linux_image *img, uint64_t initrd_size, const struct linux_efi_map *map,
	       const struct linux_range *avoid, unsigned navoid, struct linux_placement *out)
{
	struct plan_env e = { .map = map, .avoid = avoid, .navoid = navoid };
	struct run_ctx run = { 0 };
	uint64_t lo, hi, ka = 0, ia = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = map_check(map)) != 0 || (rc = map_walk(map, conventional_run, &run)) != 0)
		return rc;
	if (navoid && !avoid) {
		log_err("placement: %u ranges to avoid but no list", navoid);
		return -EINVAL;
	}
	for (unsigned i = 0; i < navoid; i++)
		if (avoid[i].start > avoid[i].end) {
			log_err("placement: range %u to avoid (0x%llx-0x%llx) ends before it starts", i,
				ull(avoid[i].start), ull(avoid[i].end));
			return -EINVAL;
		}

	/* The kernel first: it has the stricter needs. At pref_address it
	 * runs where it was linked; elsewhere it must not be below
	 * pref_address, because the decompressor then moves itself up to
	 * pref_address, into memory nobody checked (boot.rst, init_size). */
	hi = img->above_4g ? UINT64_MAX : SZ_4G;
	lo = max64(img->pref_address, LINUX_KERNEL_MIN_ADDR);
	if (img->pref_address && !(img->pref_address & (img->kernel_alignment - 1)) &&
	    fits(&e, img->pref_address, img->init_size, img->pref_address, hi)) {
		ka = img->pref_address;
	} else if (!lowest_fit(&e, img->init_size, img->kernel_alignment, lo, hi, &ka)) {
		log_err("placement: no room for the kernel: it needs %u KiB of conventional memory "
			"at a %u KiB-aligned address from 0x%llx%s, clear of %u reserved ranges; the "
			"largest conventional stretch is %llu KiB at 0x%llx",
			img->init_size / 1024, img->kernel_alignment / 1024, ull(lo),
			img->above_4g ? "" : " below 4 GiB", navoid, ull(run.best_len / SZ_1K),
			ull(run.best_start));
		return -ENOMEM;
	}
	e.taken = (struct linux_range){ ka, ka + img->init_size };

	/* The initrd as high as it may go, as boot loaders traditionally
	 * place it: away from the kernel, which grows upwards. */
	if (initrd_size) {
		hi = min64((uint64_t)img->initrd_addr_max + 1, SZ_4G);
		if (!highest_fit(&e, initrd_size, LINUX_INITRD_MIN_ADDR, hi, &ia)) {
			log_err("placement: no room for the %llu-byte initrd: it needs page-aligned "
				"conventional memory between 0x%x and 0x%llx (initrd_addr_max 0x%x), "
				"clear of the kernel at 0x%llx-0x%llx and of %u reserved ranges",
				ull(initrd_size), LINUX_INITRD_MIN_ADDR, ull(hi), img->initrd_addr_max,
				ull(ka), ull(e.taken.end - 1), navoid);
			return -ENOMEM;
		}
	}
	*out = (struct linux_placement){ ka, img->init_size, ia, initrd_size };
	log_info("placement: kernel at 0x%llx (%u KiB), initrd at 0x%llx (%llu bytes)", ull(ka),
		 img->init_size / 1024, ull(ia), ull(initrd_size));
	return 0;
}
