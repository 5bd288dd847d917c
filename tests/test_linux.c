/* The Linux boot protocol (payload/linux.c) on hand-made bzImage headers
 * and EFI memory maps (linux_util.c): the parser on a good header and on
 * each thing a hostile or wrong file can get wrong, and the e820
 * conversion (types, merging, sorting, both descriptor sizes, broken
 * maps). The zero page is in test_linux_boot_params.c, the placement in
 * test_linux_plan.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linux_util.h"

/* ---- a bzImage header ---- */

TEST(linux_parse_good_header)
{
	struct linux_image im;

	lx_make_image();
	log_capture_start();
	CHECK_EQ(lx_parse(&im), 0);
	CHECK_EQ(im.version, 0x020f);
	CHECK_EQ(im.setup_sects, SETUP_SECTS);
	CHECK_EQ(im.hdr_end, 0x26c);
	CHECK_EQ(im.setup_size, SETUP_BYTES);
	CHECK_EQ(im.pm_offset, SETUP_BYTES);
	CHECK_EQ(im.pm_size, PM_BYTES); /* syssize: not the signature behind */
	CHECK_EQ(im.loadflags, 0x01);
	CHECK_EQ(im.xloadflags, 0x7f);
	CHECK_EQ(im.kernel_alignment, 0x200000);
	CHECK_EQ(im.pref_address, 0x1000000);
	CHECK_EQ(im.init_size, 8 * MiB);
	CHECK_EQ(im.cmdline_size, 2047);
	CHECK_EQ(im.initrd_addr_max, 0x7fffffff);
	CHECK(im.above_4g);
	CHECK(strcmp(im.version_str, "6.99.0-test (hvboot@tests) #1 SMP") == 0);
	CHECK(log_has("Linux 6.99.0-test"));
	CHECK(log_has("boot protocol 2.15"));

	/* setup_sects 0 reads as 4; no version string is no reason to refuse. */
	lx_img[0x1f1] = 0;
	w16(lx_img + 0x20e, 0);
	CHECK_EQ(lx_parse(&im), 0);
	CHECK_EQ(im.setup_sects, 4);
	CHECK_EQ(im.setup_size, 2560);
	CHECK_EQ(im.version_str[0], 0);
	/* A version pointer outside the setup code reads as no string. */
	w16(lx_img + 0x20e, 0xffff);
	CHECK_EQ(lx_parse(&im), 0);
	CHECK_EQ(im.version_str[0], 0);
	/* Without the signature tail the code ends the file exactly. */
	CHECK_EQ(linux_parse(lx_img, IMG_BYTES, &im), 0);
	/* 2.12 is enough; XLF_CAN_BE_LOADED_ABOVE_4G is only recorded. */
	w16(lx_img + 0x206, 0x020c);
	w16(lx_img + 0x236, 0x01);
	CHECK_EQ(lx_parse(&im), 0);
	CHECK(!im.above_4g);
}

/* Each case: one field wrong, the return code and words of the message. */
static void refuse(void (*spoil)(void), uint64_t len, int rc, const char *words)
{
	struct linux_image im;

	lx_make_image();
	spoil();
	log_capture_start();
	memset(&im, 0x5a, sizeof(im));
	CHECK_EQ(linux_parse(lx_img, len, &im), rc);
	CHECK_MSG(log_has(words), "expected a message with \"%s\"", words);
	CHECK_EQ(im.version, 0x5a5a); /* *out untouched */
}

static void nothing(void) {}
static void bad_flag(void) { w16(lx_img + 0x1fe, 0x55aa); }
static void bad_hdrs(void) { memcpy(lx_img + 0x202, "HdrZ", 4); }
static void old_version(void) { w16(lx_img + 0x206, 0x020b); }
static void short_header(void) { lx_img[0x201] = 0x60; }
static void long_header(void) { lx_img[0x201] = 0x8f; }
static void setup_past_end(void) { lx_img[0x1f1] = 64; }
static void code_past_end(void) { w32(lx_img + 0x1f4, (PM_BYTES + TAIL) / 16 + 1); }
static void huge_syssize(void) { w32(lx_img + 0x1f4, 0xffffffff); }
static void tiny_code(void) { w32(lx_img + 0x1f4, 0x20); }
static void no_64bit(void) { w16(lx_img + 0x236, 0x7e); }
static void not_reloc(void) { lx_img[0x234] = 0; }
static void zimage(void) { lx_img[0x211] = 0; }
static void small_init(void) { w32(lx_img + 0x260, PM_BYTES - 16); }
static void align_3m(void) { w32(lx_img + 0x230, 0x300000); }
static void align_0(void) { w32(lx_img + 0x230, 0); }
static void align_2k(void) { w32(lx_img + 0x230, 2048); }
static void align_2g(void) { w32(lx_img + 0x230, 0x80000000u); }
static void pref_wraps(void) { w64(lx_img + 0x258, UINT64_MAX - 4096); }

TEST(linux_parse_refusals)
{
	refuse(nothing, 0x267, -ENOEXEC, "too short for a Linux setup header");
	refuse(nothing, 0, -ENOEXEC, "the file is 0 bytes");
	refuse(bad_flag, sizeof(lx_img), -ENOEXEC, "boot flag at 0x1fe is 0x55aa");
	refuse(bad_hdrs, sizeof(lx_img), -ENOEXEC, "no \"HdrS\"");
	refuse(old_version, sizeof(lx_img), -ENOEXEC, "boot protocol 2.11 is older than 2.12");
	refuse(short_header, sizeof(lx_img), -EINVAL, "the setup header ends at 0x262");
	refuse(long_header, sizeof(lx_img), -EINVAL, "the setup header ends at 0x291");
	refuse(setup_past_end, sizeof(lx_img), -EINVAL, "the setup code (64 sectors");
	refuse(nothing, SETUP_BYTES - 1, -EINVAL, "runs past the end of the 2559-byte file");
	refuse(code_past_end, sizeof(lx_img), -EINVAL, "protected-mode code (syssize");
	refuse(nothing, IMG_BYTES - 1, -EINVAL, "protected-mode code (syssize");
	refuse(huge_syssize, sizeof(lx_img), -EINVAL, "68719476720 bytes");
	refuse(tiny_code, sizeof(lx_img), -EINVAL, "too small to hold the 64-bit entry");
	refuse(no_64bit, sizeof(lx_img), -ENOEXEC, "no 64-bit entry point");
	refuse(not_reloc, sizeof(lx_img), -ENOEXEC, "not relocatable");
	refuse(zimage, sizeof(lx_img), -ENOEXEC, "not a bzImage (LOADED_HIGH");
	refuse(small_init, sizeof(lx_img), -EINVAL,
	       "init_size 16368 is smaller than the 16384 bytes");
	refuse(align_3m, sizeof(lx_img), -EINVAL,
	       "kernel_alignment 0x300000 is not a power of two");
	refuse(align_0, sizeof(lx_img), -EINVAL, "kernel_alignment 0x0");
	refuse(align_2k, sizeof(lx_img), -EINVAL, "kernel_alignment 0x800");
	refuse(align_2g, sizeof(lx_img), -EINVAL, "kernel_alignment 0x80000000");
	refuse(pref_wraps, sizeof(lx_img), -EINVAL, "passes 2^64");
}

/* Every prefix of the file, in a buffer of exactly that size, and every
 * header byte set to a few values: ASan sees any read past the end. */
TEST(linux_parse_truncations_and_mutations)
{
	struct linux_image im;
	static const uint8_t vals[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };

	lx_make_image();
	hvb_log_set_sink(NULL, NULL);
	for (size_t len = 0; len <= IMG_BYTES; len += len < 0x300 ? 1 : 509) {
		uint8_t *copy = malloc(len ? len : 1);

		CHECK(copy != NULL);
		memcpy(copy, lx_img, len);
		CHECK_EQ(linux_parse(copy, len, &im) == 0, len >= IMG_BYTES);
		free(copy);
	}
	for (unsigned off = 0x1f1; off < 0x270; off++)
		for (size_t v = 0; v < sizeof(vals); v++) {
			uint8_t *copy = malloc(IMG_BYTES);

			CHECK(copy != NULL);
			memcpy(copy, lx_img, IMG_BYTES);
			copy[off] = vals[v];
			if (linux_parse(copy, IMG_BYTES, &im) == 0) {
				CHECK(im.pm_offset + im.pm_size <= IMG_BYTES);
				CHECK(im.init_size >= im.pm_size);
				CHECK(im.hdr_end <= 0x290);
			}
			free(copy);
		}
}

/* ---- EFI memory maps ---- */

static void check_ovmf_e820(struct map *mp)
{
	struct linux_e820_entry e[LINUX_E820_MAX];
	unsigned n = 99;

	CHECK_EQ(linux_e820_from_efi(&mp->m, e, LINUX_E820_MAX, &n), 0);
	CHECK_EQ(n, sizeof(lx_ovmf_e820) / sizeof(lx_ovmf_e820[0]));
	for (unsigned i = 0; i < n; i++) {
		CHECK_MSG(e[i].addr == lx_ovmf_e820[i].addr && e[i].size == lx_ovmf_e820[i].size &&
				  e[i].type == lx_ovmf_e820[i].type,
			  "entry %u: 0x%llx+0x%llx type %u", i, (unsigned long long)e[i].addr,
			  (unsigned long long)e[i].size, e[i].type);
	}
}

TEST(linux_e820_types)
{
	static const uint32_t want[] = { 2, 1, 1, 1, 1, 2, 2, 1, 5, 3, 4, 2, 2, 2, 7, 2 };

	for (uint32_t t = 0; t < sizeof(want) / sizeof(want[0]); t++)
		CHECK_MSG(linux_e820_type(t) == want[t], "EFI type %u", t);
	CHECK_EQ(linux_e820_type(0x70000000), 2); /* OEM */
	CHECK_EQ(linux_e820_type(0x80000000), 2); /* OS vendor */
}

TEST(linux_e820_merge_sort_desc_sizes)
{
	static struct map mp;

	log_capture_start();
	lx_ovmf_like(&mp, 48);
	check_ovmf_e820(&mp);
	lx_ovmf_like(&mp, 40);
	check_ovmf_e820(&mp);
	lx_ovmf_like(&mp, 56);
	check_ovmf_e820(&mp);
	/* An empty map is an empty table. */
	lx_map_init(&mp, 48);
	struct linux_e820_entry e[4];
	unsigned n = 9;
	CHECK_EQ(linux_e820_from_efi(&mp.m, e, 4, &n), 0);
	CHECK_EQ(n, 0);
}

static int e820_rc(struct map *mp, unsigned max, unsigned *n)
{
	static struct linux_e820_entry e[LINUX_E820_MAX + 8];

	return linux_e820_from_efi(&mp->m, e, max, n);
}

TEST(linux_e820_broken_maps)
{
	static struct map mp;
	unsigned n;

	log_capture_start();
	lx_ovmf_like(&mp, 48);
	mp.m.desc_size = 39;
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	CHECK(log_has("descriptor size 39 is outside 40..4096"));
	mp.m.desc_size = 0;
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	mp.m.desc_size = 8192;
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);

	lx_ovmf_like(&mp, 48);
	mp.m.size -= 8;
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	CHECK(log_has("is not a whole number of 48-byte descriptors"));

	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0x100800, 4);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	CHECK(log_has("starts at 0x100800, not on a 4 KiB boundary"));

	/* Overflowing ranges: past 2^64 exactly, by far, and a page count
	 * whose byte count alone wraps. */
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0xfffffffffffff000ull, 1);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	CHECK(log_has("runs past 2^64"));
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0x100000, 1ull << 52);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0, UINT64_MAX);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	/* The last page below 2^64 is fine. */
	lx_map_init(&mp, 48);
	lx_add(&mp, 0, 0xffffffffffffe000ull, 1);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), 0);
	CHECK_EQ(n, 1);

	/* Overlaps: partial, and two descriptors at one address. */
	log_clear();
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0x200000, 16);
	lx_add(&mp, 4, 0x100000, 257);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	CHECK(log_has("overlaps another descriptor"));
	lx_map_init(&mp, 48);
	lx_add(&mp, 7, 0x100000, 16);
	lx_add(&mp, 7, 0x100000, 16);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);

	/* More descriptors than any real map. */
	lx_map_init(&mp, 40);
	for (unsigned i = 0; i <= LINUX_EFI_MAP_MAX_DESCS; i++)
		lx_add(&mp, 7, (uint64_t)i << 12, 1);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	CHECK(log_has("4097 descriptors"));
	/* Exactly the limit, all adjacent conventional: one entry. */
	mp.n--;
	mp.m.size -= 40;
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), 0);
	CHECK_EQ(n, 1);
}

TEST(linux_e820_table_full)
{
	static struct map mp;
	unsigned n = 7;

	log_capture_start();
	/* 128 alternating types fit; a 129th and 130th do not. Merging is
	 * tried first: the 200 same-type descriptors after them cost one. */
	lx_map_init(&mp, 48);
	for (unsigned i = 0; i < 128; i++)
		lx_add(&mp, i % 2 ? 0 : 7, (uint64_t)i << 12, 1);
	for (unsigned i = 0; i < 200; i++)
		lx_add(&mp, 0, (uint64_t)(128 + i) << 12, 1);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), 0);
	CHECK_EQ(n, 128);
	lx_add(&mp, 7, 0x200000, 1);
	lx_add(&mp, 0, 0x300000, 1);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -E2BIG);
	CHECK_EQ(n, 0);
	CHECK(log_has("needs 130 e820 entries"));
	CHECK(log_has("more than the 128"));
}
