/* Where the kernel and the initrd go (payload/linux.c's placement): the
 * preferred address, alignment and what to avoid, the limits, and the
 * plan against a brute-force search on random maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linux_util.h"

/* ---- Placement ---- */

static struct linux_image plan_image(void)
{
	struct linux_image im;

	lx_make_image();
	hvb_log_set_sink(NULL, NULL);
	CHECK_EQ(lx_parse(&im), 0);
	log_capture_start();
	return im;
}

TEST(linux_plan_prefers_pref_address)
{
	static struct map mp;
	struct linux_image im = plan_image();
	struct linux_placement p;

	lx_ovmf_like(&mp, 48);
	CHECK_EQ(linux_plan(&im, 20 * MiB, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.kernel_addr, 0x1000000);
	CHECK_EQ(p.kernel_size, 8 * MiB);
	/* As high as initrd_addr_max (0x7fffffff) allows, page aligned. */
	CHECK_EQ(p.initrd_addr, 0x80000000 - 20 * MiB);
	CHECK_EQ(p.initrd_size, 20 * MiB);
	CHECK(log_has("kernel at 0x1000000"));

	/* An odd initrd size still starts on a page and ends in range. */
	CHECK_EQ(linux_plan(&im, 12345, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.initrd_addr, 0x7fffc000);
	CHECK_EQ(p.initrd_addr % 4096, 0);
	CHECK(p.initrd_addr + 12345 - 1 <= 0x7fffffff);

	/* No initrd. */
	CHECK_EQ(linux_plan(&im, 0, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.initrd_addr, 0);
	CHECK_EQ(p.initrd_size, 0);
}

TEST(linux_plan_alignment_and_avoid)
{
	static struct map mp;
	struct linux_image im = plan_image();
	struct linux_placement p;
	struct linux_range avoid[3];

	/* pref_address covered by an avoided range: the next 2 MiB-aligned
	 * address after it. */
	lx_ovmf_like(&mp, 48);
	avoid[0] = (struct linux_range){ 0x1500000, 0x1500001 };
	CHECK_EQ(linux_plan(&im, MiB, &mp.m, avoid, 1, &p), 0);
	CHECK_EQ(p.kernel_addr, 0x1600000);
	/* The initrd steps below an avoided range at the top. */
	avoid[1] = (struct linux_range){ 0x7ff00000, 0x80000000 };
	avoid[2] = (struct linux_range){ 0x5000, 0x5000 }; /* empty: ignored */
	CHECK_EQ(linux_plan(&im, MiB, &mp.m, avoid, 3, &p), 0);
	CHECK_EQ(p.initrd_addr, 0x7fe00000);

	/* pref_address in boot-services memory (never used), conventional
	 * memory starting off alignment: the kernel at the aligned start. */
	lx_map_init(&mp, 48);
	lx_add(&mp, 4, 0x1000000, PG(0x234000));
	lx_add(&mp, 7, 0x1234000, PG(0x3000000));
	CHECK_EQ(linux_plan(&im, 0, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.kernel_addr, 0x1400000);
	CHECK_EQ(p.kernel_addr % im.kernel_alignment, 0);

	/* A kernel across two adjacent conventional descriptors. */
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0x1000000, PG(0x300000));
	lx_add(&mp, 7, 0x1300000, PG(0x600000));
	CHECK_EQ(linux_plan(&im, 0, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.kernel_addr, 0x1000000);

	/* Never below pref_address, however much room there is lower. */
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0x100000, PG(0xe00000));   /* 1-15 MiB */
	lx_add(&mp, 7, 0x2000000, PG(0x1000000)); /* 32-48 MiB */
	CHECK_EQ(linux_plan(&im, MiB, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.kernel_addr, 0x2000000);
	/* The initrd goes high: just below the top of the 32-48 MiB run. */
	CHECK_EQ(p.initrd_addr, 0x3000000 - MiB);

	/* The initrd avoids the kernel: the only room left is below it. */
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0x800000, PG(0x1000000)); /* 8-24 MiB; kernel at 16-24 */
	CHECK_EQ(linux_plan(&im, 3 * MiB, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.kernel_addr, 0x1000000);
	CHECK_EQ(p.initrd_addr, 0x1000000 - 3 * MiB);
}

TEST(linux_plan_limits)
{
	static struct map mp;
	struct linux_image im = plan_image();
	struct linux_placement p;

	/* Conventional memory only above 4 GiB. */
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0x100000, PG(0xf00000));      /* 1-16 MiB for the initrd */
	lx_add(&mp, 7, 0x100000000, PG(0x40000000));
	CHECK_EQ(linux_plan(&im, MiB, &mp.m, NULL, 0, &p), 0); /* may go above */
	CHECK_EQ(p.kernel_addr, 0x100000000);
	CHECK_EQ(p.initrd_addr, 0x1000000 - MiB);
	im.above_4g = false;
	CHECK_EQ(linux_plan(&im, MiB, &mp.m, NULL, 0, &p), -ENOMEM);
	CHECK(log_has("no room for the kernel"));
	CHECK(log_has("below 4 GiB"));
	CHECK(log_has("the largest conventional stretch is 1048576 KiB at 0x100000000"));
	CHECK_EQ(p.kernel_addr, 0);

	/* initrd_addr_max caps the initrd even when higher memory is free. */
	im = plan_image();
	im.initrd_addr_max = 0x0fffffff;
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0x100000, PG(0x7ff00000));
	CHECK_EQ(linux_plan(&im, 5 * MiB + 1, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.initrd_addr, 0x10000000 - 5 * MiB - 4096);
	CHECK(p.initrd_addr + p.initrd_size - 1 <= 0x0fffffff);

	/* An initrd too large for what is left. */
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0x1000000, PG(0x1000000)); /* 16-32 MiB */
	CHECK_EQ(linux_plan(&im, 8 * MiB + 1, &mp.m, NULL, 0, &p), -ENOMEM);
	CHECK(log_has("no room for the 8388609-byte initrd"));
	CHECK_EQ(linux_plan(&im, 8 * MiB, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.initrd_addr, 0x1800000);

	/* Nothing for the kernel at all. */
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0x1000000, PG(0x7ff000)); /* one page short */
	CHECK_EQ(linux_plan(&im, 0, &mp.m, NULL, 0, &p), -ENOMEM);
	CHECK(log_has("it needs 8192 KiB of conventional memory at a 2048 KiB-aligned address "
		      "from 0x1000000"));

	/* Bad input. */
	struct linux_range bad = { 0x2000, 0x1000 };
	CHECK_EQ(linux_plan(&im, 0, &mp.m, &bad, 1, &p), -EINVAL);
	CHECK(log_has("ends before it starts"));
	CHECK_EQ(linux_plan(&im, 0, &mp.m, NULL, 1, &p), -EINVAL);
	mp.m.size += 1;
	CHECK_EQ(linux_plan(&im, 0, &mp.m, NULL, 0, &p), -EINVAL);
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0x1000000, PG(0x1000000));
	lx_add(&mp, 4, 0x1800000, 1);
	CHECK_EQ(linux_plan(&im, 0, &mp.m, NULL, 0, &p), -EINVAL);
	CHECK(log_has("overlaps"));
}

/* ---- Placement against brute force ---- */

#define BF_PAGES (192 * MiB / 4096) /* the modelled address space: 0-192 MiB */

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 32) % n;
}

/* free_before[i]: free pages in [0, i): O(1) range checks. */
static uint32_t free_before[BF_PAGES + 1];

static bool bf_free(uint64_t a, uint64_t size)
{
	uint64_t first = a / 4096, last = (a + size + 4095) / 4096;

	if (a % 4096 || last > BF_PAGES)
		return false;
	return free_before[last] - free_before[first] == last - first;
}

static bool overlaps(uint64_t a, uint64_t size, uint64_t b, uint64_t bsize)
{
	return a < b + bsize && b < a + size;
}

TEST(linux_plan_matches_brute_force)
{
	static struct map mp;
	static uint8_t page_free[BF_PAGES];
	struct linux_image im = plan_image();

	hvb_log_set_sink(NULL, NULL);
	for (unsigned iter = 0; iter < 300; iter++) {
		struct linux_range avoid[4];
		struct linux_placement p;
		uint64_t init, isize, want_k = 0, want_i = 0;
		bool have_k = false, have_i = false;
		int rc;

		rng_state = iter * 2654435761u + 1;
		init = (1 + rnd(12)) * MiB + rnd(256) * 4096;
		isize = 1 + rnd(24 * MiB);
		im.init_size = (uint32_t)init;
		im.kernel_alignment = 1u << (12 + rnd(10)); /* 4 KiB to 2 MiB */
		im.pref_address = rnd(4) ? 16 * MiB : (1 + rnd(40)) * MiB;
		im.initrd_addr_max = (uint32_t)((64 + rnd(160)) * MiB - 1);
		im.above_4g = false;

		/* Random runs of pages in random types, in random order. */
		lx_map_init(&mp, rnd(2) ? 48 : 40);
		memset(page_free, 0, sizeof(page_free));
		for (uint64_t pg = 0; pg < BF_PAGES;) {
			uint64_t len = 1 + rnd(rnd(4) ? 4096 : 64);
			uint32_t type = rnd(3) ? 7 : rnd(15);

			len = len > BF_PAGES - pg ? BF_PAGES - pg : len;
			lx_add(&mp, type, pg * 4096, len);
			if (type == 7)
				memset(page_free + pg, 1, len);
			pg += len;
		}
		for (unsigned i = 0; i + 1 < mp.n; i++) { /* shuffle */
			unsigned j = i + rnd(mp.n - i);
			uint8_t t[48];

			memcpy(t, mp.b + i * mp.ds, mp.ds);
			memcpy(mp.b + i * mp.ds, mp.b + j * mp.ds, mp.ds);
			memcpy(mp.b + j * mp.ds, t, mp.ds);
		}
		for (unsigned i = 0; i < 4; i++) {
			/* Whole pages: the model counts pages. */
			uint64_t s = (uint64_t)rnd(BF_PAGES) * 4096;

			avoid[i] = (struct linux_range){ s, s + (uint64_t)rnd(2048) * 4096 };
			for (uint64_t pg = s / 4096; pg < BF_PAGES && pg * 4096 < avoid[i].end; pg++)
				page_free[pg] = 0;
		}
		for (uint64_t i = 0; i < BF_PAGES; i++)
			free_before[i + 1] = free_before[i] + page_free[i];

		/* The model: pref when free, else the lowest aligned fit from
		 * max(pref, 16 MiB); the initrd at the highest page. */
		if (!(im.pref_address % im.kernel_alignment) && bf_free(im.pref_address, init)) {
			want_k = im.pref_address;
			have_k = true;
		}
		uint64_t lo = im.pref_address > 16 * MiB ? im.pref_address : 16 * MiB;
		for (uint64_t a = (lo + im.kernel_alignment - 1) / im.kernel_alignment *
				  im.kernel_alignment;
		     !have_k && a + init <= BF_PAGES * 4096ull; a += im.kernel_alignment)
			if (bf_free(a, init)) {
				want_k = a;
				have_k = true;
			}
		for (uint64_t a = ((uint64_t)im.initrd_addr_max + 1 - isize) & ~4095ull;
		     have_k && a >= MiB && a + isize <= (uint64_t)im.initrd_addr_max + 1; a -= 4096)
			if (bf_free(a, isize) && !overlaps(a, isize, want_k, init)) {
				want_i = a;
				have_i = true;
				break;
			}

		rc = linux_plan(&im, isize, &mp.m, avoid, 4, &p);
		if (!have_k || !have_i) {
			CHECK_MSG(rc == -ENOMEM, "iteration %u: rc %d, model found %s", iter, rc,
				  have_k ? "no initrd room" : "no kernel room");
			continue;
		}
		CHECK_MSG(rc == 0, "iteration %u: rc %d, model: kernel 0x%llx initrd 0x%llx", iter, rc,
			  (unsigned long long)want_k, (unsigned long long)want_i);
		CHECK_MSG(p.kernel_addr == want_k, "iteration %u: kernel 0x%llx, model 0x%llx", iter,
			  (unsigned long long)p.kernel_addr, (unsigned long long)want_k);
		CHECK_MSG(p.initrd_addr == want_i, "iteration %u: initrd 0x%llx, model 0x%llx", iter,
			  (unsigned long long)p.initrd_addr, (unsigned long long)want_i);
	}
}
