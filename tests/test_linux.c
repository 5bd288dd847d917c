/* The Linux boot protocol (payload/linux.c) on hand-made bzImage headers
 * and EFI memory maps: the parser on a good header and on each thing a
 * hostile or wrong file can get wrong; the e820 conversion (types, merging,
 * sorting, both descriptor sizes, broken maps); every zero-page field the
 * kernel reads, at the offset bootparam.h gives it (spelled out here as
 * numbers, not taken from linux_proto.h, so a wrong constant there fails);
 * and the placement, against a brute-force search on random maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../payload/linux.h"
#include "fixture.h"
#include "harness.h"

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)v), w16(p + 2, (uint16_t)(v >> 16)); }
static void w64(uint8_t *p, uint64_t v) { w32(p, (uint32_t)v), w32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t r16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t r32(const uint8_t *p) { return r16(p) | (uint32_t)r16(p + 2) << 16; }
static uint64_t r64(const uint8_t *p) { return r32(p) | (uint64_t)r32(p + 4) << 32; }

/* ---- a bzImage header ---- */

#define SETUP_SECTS 4
#define SETUP_BYTES ((SETUP_SECTS + 1) * 512)
#define PM_BYTES (16 * 1024)
#define IMG_BYTES (SETUP_BYTES + PM_BYTES)
#define TAIL 1472 /* bytes after the code, as a signed kernel has */

static uint8_t img[IMG_BYTES + TAIL];

/* A protocol 2.15 x86_64 bzImage as Linux 6.1 builds it, with a small
 * protected-mode part of recognisable bytes. */
static void make_image(void)
{
	memset(img, 0, sizeof(img));
	for (size_t i = SETUP_BYTES; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7);
	img[0x1f1] = SETUP_SECTS;
	w32(img + 0x1f4, PM_BYTES / 16); /* syssize */
	w16(img + 0x1fa, 0xffff);        /* vid_mode "normal" */
	w16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a; /* header ends at 0x26c */
	memcpy(img + 0x202, "HdrS", 4);
	w16(img + 0x206, 0x020f);
	w16(img + 0x20e, 0x400); /* version string at 0x600 */
	strcpy((char *)img + 0x600, "6.99.0-test (hvboot@tests) #1 SMP");
	img[0x211] = 0x01;               /* LOADED_HIGH */
	w32(img + 0x214, 0x100000);      /* code32_start default */
	w32(img + 0x22c, 0x7fffffff);    /* initrd_addr_max */
	w32(img + 0x230, 0x200000);      /* kernel_alignment */
	img[0x234] = 1;                  /* relocatable */
	img[0x235] = 21;                 /* min_alignment */
	w16(img + 0x236, 0x7f);          /* xloadflags: 64-bit, above 4G, handovers, ... */
	w32(img + 0x238, 2047);          /* cmdline_size */
	w64(img + 0x258, 0x1000000);     /* pref_address */
	w32(img + 0x260, 8 * MiB);       /* init_size */
	w32(img + 0x264, 0x190);         /* handover_offset */
	w32(img + 0x268, 0x1234);        /* kernel_info_offset */
	img[0x26c] = 0x5a;               /* first byte after the header: setup code */
}

static int parse(struct linux_image *im) { return linux_parse(img, sizeof(img), im); }

TEST(linux_parse_good_header)
{
	struct linux_image im;

	make_image();
	log_capture_start();
	CHECK_EQ(parse(&im), 0);
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
	img[0x1f1] = 0;
	w16(img + 0x20e, 0);
	CHECK_EQ(parse(&im), 0);
	CHECK_EQ(im.setup_sects, 4);
	CHECK_EQ(im.setup_size, 2560);
	CHECK_EQ(im.version_str[0], 0);
	/* A version pointer outside the setup code reads as no string. */
	w16(img + 0x20e, 0xffff);
	CHECK_EQ(parse(&im), 0);
	CHECK_EQ(im.version_str[0], 0);
	/* Without the signature tail the code ends the file exactly. */
	CHECK_EQ(linux_parse(img, IMG_BYTES, &im), 0);
	/* 2.12 is enough; XLF_CAN_BE_LOADED_ABOVE_4G is only recorded. */
	w16(img + 0x206, 0x020c);
	w16(img + 0x236, 0x01);
	CHECK_EQ(parse(&im), 0);
	CHECK(!im.above_4g);
}

/* Each case: one field wrong, the return code and words of the message. */
static void refuse(void (*spoil)(void), uint64_t len, int rc, const char *words)
{
	struct linux_image im;

	make_image();
	spoil();
	log_capture_start();
	memset(&im, 0x5a, sizeof(im));
	CHECK_EQ(linux_parse(img, len, &im), rc);
	CHECK_MSG(log_has(words), "expected a message with \"%s\"", words);
	CHECK_EQ(im.version, 0x5a5a); /* *out untouched */
}

static void nothing(void) {}
static void bad_flag(void) { w16(img + 0x1fe, 0x55aa); }
static void bad_hdrs(void) { memcpy(img + 0x202, "HdrZ", 4); }
static void old_version(void) { w16(img + 0x206, 0x020b); }
static void short_header(void) { img[0x201] = 0x60; }
static void long_header(void) { img[0x201] = 0x8f; }
static void setup_past_end(void) { img[0x1f1] = 64; }
static void code_past_end(void) { w32(img + 0x1f4, (PM_BYTES + TAIL) / 16 + 1); }
static void huge_syssize(void) { w32(img + 0x1f4, 0xffffffff); }
static void tiny_code(void) { w32(img + 0x1f4, 0x20); }
static void no_64bit(void) { w16(img + 0x236, 0x7e); }
static void not_reloc(void) { img[0x234] = 0; }
static void zimage(void) { img[0x211] = 0; }
static void small_init(void) { w32(img + 0x260, PM_BYTES - 16); }
static void align_3m(void) { w32(img + 0x230, 0x300000); }
static void align_0(void) { w32(img + 0x230, 0); }
static void align_2k(void) { w32(img + 0x230, 2048); }
static void align_2g(void) { w32(img + 0x230, 0x80000000u); }
static void pref_wraps(void) { w64(img + 0x258, UINT64_MAX - 4096); }

TEST(linux_parse_refusals)
{
	refuse(nothing, 0x267, -ENOEXEC, "too short for a Linux setup header");
	refuse(nothing, 0, -ENOEXEC, "the file is 0 bytes");
	refuse(bad_flag, sizeof(img), -ENOEXEC, "boot flag at 0x1fe is 0x55aa");
	refuse(bad_hdrs, sizeof(img), -ENOEXEC, "no \"HdrS\"");
	refuse(old_version, sizeof(img), -ENOEXEC, "boot protocol 2.11 is older than 2.12");
	refuse(short_header, sizeof(img), -EINVAL, "the setup header ends at 0x262");
	refuse(long_header, sizeof(img), -EINVAL, "the setup header ends at 0x291");
	refuse(setup_past_end, sizeof(img), -EINVAL, "the setup code (64 sectors");
	refuse(nothing, SETUP_BYTES - 1, -EINVAL, "runs past the end of the 2559-byte file");
	refuse(code_past_end, sizeof(img), -EINVAL, "protected-mode code (syssize");
	refuse(nothing, IMG_BYTES - 1, -EINVAL, "protected-mode code (syssize");
	refuse(huge_syssize, sizeof(img), -EINVAL, "68719476720 bytes");
	refuse(tiny_code, sizeof(img), -EINVAL, "too small to hold the 64-bit entry");
	refuse(no_64bit, sizeof(img), -ENOEXEC, "no 64-bit entry point");
	refuse(not_reloc, sizeof(img), -ENOEXEC, "not relocatable");
	refuse(zimage, sizeof(img), -ENOEXEC, "not a bzImage (LOADED_HIGH");
	refuse(small_init, sizeof(img), -EINVAL, "init_size 16368 is smaller than the 16384 bytes");
	refuse(align_3m, sizeof(img), -EINVAL, "kernel_alignment 0x300000 is not a power of two");
	refuse(align_0, sizeof(img), -EINVAL, "kernel_alignment 0x0");
	refuse(align_2k, sizeof(img), -EINVAL, "kernel_alignment 0x800");
	refuse(align_2g, sizeof(img), -EINVAL, "kernel_alignment 0x80000000");
	refuse(pref_wraps, sizeof(img), -EINVAL, "passes 2^64");
}

/* Every prefix of the file, in a buffer of exactly that size, and every
 * header byte set to a few values: ASan sees any read past the end. */
TEST(linux_parse_truncations_and_mutations)
{
	struct linux_image im;
	static const uint8_t vals[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };

	make_image();
	hvb_log_set_sink(NULL, NULL);
	for (size_t len = 0; len <= IMG_BYTES; len += len < 0x300 ? 1 : 509) {
		uint8_t *copy = malloc(len ? len : 1);

		CHECK(copy != NULL);
		memcpy(copy, img, len);
		CHECK_EQ(linux_parse(copy, len, &im) == 0, len >= IMG_BYTES);
		free(copy);
	}
	for (unsigned off = 0x1f1; off < 0x270; off++)
		for (size_t v = 0; v < sizeof(vals); v++) {
			uint8_t *copy = malloc(IMG_BYTES);

			CHECK(copy != NULL);
			memcpy(copy, img, IMG_BYTES);
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

struct map {
	uint8_t b[8192 * 48];
	uint32_t ds;
	unsigned n;
	struct linux_efi_map m;
};

static void map_init(struct map *mp, uint32_t desc_size)
{
	memset(mp->b, 0xee, sizeof(mp->b)); /* the bytes past 40 are not ours to read */
	mp->ds = desc_size;
	mp->n = 0;
	mp->m = (struct linux_efi_map){ mp->b, 0x7f000000, 0, desc_size, 1 };
}

static void add(struct map *mp, uint32_t type, uint64_t start, uint64_t pages)
{
	uint8_t *d = mp->b + (size_t)mp->n++ * mp->ds;

	w32(d, type);
	w32(d + 4, 0);
	w64(d + 8, start);
	w64(d + 16, 0);
	w64(d + 24, pages);
	w64(d + 32, 0xf); /* UC WC WT WB */
	mp->m.size = (uint64_t)mp->n * mp->ds;
}

/* Bytes to pages. */
#define PG(bytes) ((bytes) / 4096)

/* A small OVMF-like map, deliberately out of order. */
static void ovmf_like(struct map *mp, uint32_t ds)
{
	map_init(mp, ds);
	add(mp, 7, 0x100000, PG(0x700000));        /* conventional 1M-8M */
	add(mp, 3, 0x0, PG(0x1000));               /* boot services code 0-4K */
	add(mp, 7, 0x1000, PG(0x9f000));           /* conventional 4K-640K */
	add(mp, 0, 0xa0000, PG(0x60000));          /* reserved 640K-1M */
	add(mp, 4, 0x800000, PG(0x100000));        /* BS data 8M-9M: merges into RAM */
	add(mp, 2, 0x900000, PG(0x100000));        /* loader data 9M-10M */
	add(mp, 1, 0xa00000, PG(0x100000));        /* loader code 10M-11M */
	add(mp, 7, 0xb00000, PG(0x7f500000));      /* conventional 11M-0x80000000 */
	add(mp, 7, 0xf0000000, 0);                 /* empty: skipped */
	add(mp, 10, 0x80100000, PG(0x100000));     /* ACPI NVS */
	add(mp, 9, 0x80000000, PG(0x100000));      /* ACPI reclaim */
	add(mp, 6, 0x80200000, PG(0x200000));      /* runtime data */
	add(mp, 5, 0x80400000, PG(0x100000));      /* runtime code: merges with runtime data */
	add(mp, 11, 0xffc00000, PG(0x400000));     /* MMIO flash */
	add(mp, 8, 0x100000000, PG(0x100000));     /* unusable */
	add(mp, 14, 0x100100000, PG(0x40000000));  /* persistent */
	add(mp, 7, 0x140100000, PG(0x40000000));   /* conventional above 4G */
}

static const struct linux_e820_entry ovmf_e820[] = {
	{ 0x0, 0xa0000, 1 },           /* BS code + conventional */
	{ 0xa0000, 0x60000, 2 },
	{ 0x100000, 0x7ff00000, 1 },   /* conventional, BS data, loader, conventional */
	{ 0x80000000, 0x100000, 3 },
	{ 0x80100000, 0x100000, 4 },
	{ 0x80200000, 0x300000, 2 },   /* runtime data + code */
	{ 0xffc00000, 0x400000, 2 },   /* MMIO: a gap before it, so not merged */
	{ 0x100000000, 0x100000, 5 },
	{ 0x100100000, 0x40000000, 7 },
	{ 0x140100000, 0x40000000, 1 },
};

static void check_ovmf_e820(struct map *mp)
{
	struct linux_e820_entry e[LINUX_E820_MAX];
	unsigned n = 99;

	CHECK_EQ(linux_e820_from_efi(&mp->m, e, LINUX_E820_MAX, &n), 0);
	CHECK_EQ(n, sizeof(ovmf_e820) / sizeof(ovmf_e820[0]));
	for (unsigned i = 0; i < n; i++) {
		CHECK_MSG(e[i].addr == ovmf_e820[i].addr && e[i].size == ovmf_e820[i].size &&
				  e[i].type == ovmf_e820[i].type,
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
	ovmf_like(&mp, 48);
	check_ovmf_e820(&mp);
	ovmf_like(&mp, 40);
	check_ovmf_e820(&mp);
	ovmf_like(&mp, 56);
	check_ovmf_e820(&mp);
	/* An empty map is an empty table. */
	map_init(&mp, 48);
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
	ovmf_like(&mp, 48);
	mp.m.desc_size = 39;
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	CHECK(log_has("descriptor size 39 is outside 40..4096"));
	mp.m.desc_size = 0;
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	mp.m.desc_size = 8192;
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);

	ovmf_like(&mp, 48);
	mp.m.size -= 8;
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	CHECK(log_has("is not a whole number of 48-byte descriptors"));

	map_init(&mp, 48);
	add(&mp, 7, 0x100800, 4);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	CHECK(log_has("starts at 0x100800, not on a 4 KiB boundary"));

	/* Overflowing ranges: past 2^64 exactly, by far, and a page count
	 * whose byte count alone wraps. */
	map_init(&mp, 48);
	add(&mp, 7, 0xfffffffffffff000ull, 1);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	CHECK(log_has("runs past 2^64"));
	map_init(&mp, 48);
	add(&mp, 7, 0x100000, 1ull << 52);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	map_init(&mp, 48);
	add(&mp, 7, 0, UINT64_MAX);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	/* The last page below 2^64 is fine. */
	map_init(&mp, 48);
	add(&mp, 0, 0xffffffffffffe000ull, 1);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), 0);
	CHECK_EQ(n, 1);

	/* Overlaps: partial, and two descriptors at one address. */
	log_clear();
	map_init(&mp, 48);
	add(&mp, 7, 0x200000, 16);
	add(&mp, 4, 0x100000, 257);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);
	CHECK(log_has("overlaps another descriptor"));
	map_init(&mp, 48);
	add(&mp, 7, 0x100000, 16);
	add(&mp, 7, 0x100000, 16);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -EINVAL);

	/* More descriptors than any real map. */
	map_init(&mp, 40);
	for (unsigned i = 0; i <= LINUX_EFI_MAP_MAX_DESCS; i++)
		add(&mp, 7, (uint64_t)i << 12, 1);
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
	map_init(&mp, 48);
	for (unsigned i = 0; i < 128; i++)
		add(&mp, i % 2 ? 0 : 7, (uint64_t)i << 12, 1);
	for (unsigned i = 0; i < 200; i++)
		add(&mp, 0, (uint64_t)(128 + i) << 12, 1);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), 0);
	CHECK_EQ(n, 128);
	add(&mp, 7, 0x200000, 1);
	add(&mp, 0, 0x300000, 1);
	CHECK_EQ(e820_rc(&mp, LINUX_E820_MAX, &n), -E2BIG);
	CHECK_EQ(n, 0);
	CHECK(log_has("needs 130 e820 entries"));
	CHECK(log_has("more than the 128"));
}

/* ---- The zero page ---- */

static uint8_t zp[4096];
static const char cmdline[] = "console=ttyS0 root=/dev/sda2 quiet";

static void info_init(struct linux_boot_info *bi, struct linux_placement *p, struct map *mp,
		      struct linux_fb *fb)
{
	*p = (struct linux_placement){ 0x1000000, 8 * MiB, 0x7f000000, 0x123456 };
	*fb = (struct linux_fb){ 0x4000000000ull + 0x1000, 8 * MiB, 1024, 768, 1032, LINUX_FB_BGRX };
	*bi = (struct linux_boot_info){
		.place = p,
		.cmdline = cmdline,
		.cmdline_addr = 0x12345000,
		.efi_map = &mp->m,
		.efi_systab = 0x1237fe18018ull,
		.fb = fb,
		.acpi_rsdp = 0x7fb7e014,
	};
}

TEST(linux_boot_params_fields)
{
	static struct map mp;
	struct linux_image im;
	struct linux_boot_info bi;
	struct linux_placement p;
	struct linux_fb fb;

	make_image();
	log_capture_start();
	CHECK_EQ(parse(&im), 0);
	ovmf_like(&mp, 48);
	info_init(&bi, &p, &mp, &fb);
	memset(zp, 0xaa, sizeof(zp));
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), 0);

	/* The setup header is the file's, but for what the loader writes. */
	for (unsigned off = 0x1f1; off < 0x26c; off++) {
		if (off == 0x210 || off == 0x211 || (off >= 0x214 && off < 0x220) ||
		    (off >= 0x228 && off < 0x22c))
			continue;
		CHECK_MSG(zp[off] == img[off], "header byte 0x%x: 0x%02x, file 0x%02x", off, zp[off],
			  img[off]);
	}
	CHECK_EQ(zp[0x26c], 0); /* the setup code after the header is not copied */
	CHECK_EQ(zp[0x1ef], 0); /* sentinel */
	CHECK_EQ(zp[0x210], 0xff);           /* type_of_loader: undefined */
	CHECK_EQ(zp[0x211], 0x01);           /* LOADED_HIGH only */
	CHECK_EQ(r32(zp + 0x214), 0x1000000); /* code32_start */
	CHECK_EQ(r32(zp + 0x228), 0x12345000); /* cmd_line_ptr */
	CHECK_EQ(r32(zp + 0x0c8), 0);          /* ext_cmd_line_ptr */
	CHECK_EQ(r32(zp + 0x218), 0x7f000000); /* ramdisk_image */
	CHECK_EQ(r32(zp + 0x21c), 0x123456);   /* ramdisk_size */
	CHECK_EQ(r32(zp + 0x0c0), 0);
	CHECK_EQ(r32(zp + 0x0c4), 0);
	CHECK_EQ(r16(zp + 0x224), 0); /* heap_end_ptr: the 64-bit entry has no heap */

	/* e820 */
	CHECK_EQ(zp[0x1e8], 10);
	for (unsigned i = 0; i < 10; i++) {
		const uint8_t *e = zp + 0x2d0 + 20 * i;

		CHECK_EQ(r64(e), ovmf_e820[i].addr);
		CHECK_EQ(r64(e + 8), ovmf_e820[i].size);
		CHECK_EQ(r32(e + 16), ovmf_e820[i].type);
	}
	CHECK_EQ(r64(zp + 0x2d0 + 200), 0);

	/* efi_info */
	CHECK(memcmp(zp + 0x1c0, "EL64", 4) == 0);
	CHECK_EQ(r32(zp + 0x1c4), 0x7fe18018);  /* efi_systab */
	CHECK_EQ(r32(zp + 0x1d8), 0x123);       /* efi_systab_hi */
	CHECK_EQ(r32(zp + 0x1c8), 48);          /* efi_memdesc_size */
	CHECK_EQ(r32(zp + 0x1cc), 1);           /* efi_memdesc_version */
	CHECK_EQ(r32(zp + 0x1d0), 0x7f000000);  /* efi_memmap */
	CHECK_EQ(r32(zp + 0x1dc), 0);           /* efi_memmap_hi */
	CHECK_EQ(r32(zp + 0x1d4), mp.m.size);   /* efi_memmap_size */

	/* screen_info: BGRX, base above 4 GiB */
	CHECK_EQ(zp[0x0f], 0x70);               /* orig_video_isVGA = VIDEO_TYPE_EFI */
	CHECK_EQ(r16(zp + 0x12), 1024);
	CHECK_EQ(r16(zp + 0x14), 768);
	CHECK_EQ(r16(zp + 0x16), 32);
	CHECK_EQ(r32(zp + 0x18), 0x1000);       /* lfb_base */
	CHECK_EQ(r32(zp + 0x3a), 0x40);         /* ext_lfb_base */
	CHECK_EQ(r16(zp + 0x24), 1032 * 4);     /* lfb_linelength */
	CHECK_EQ(r32(zp + 0x1c), 1032 * 4 * 768); /* lfb_size */
	CHECK_EQ(zp[0x26], 8);                  /* red size, pos */
	CHECK_EQ(zp[0x27], 16);
	CHECK_EQ(zp[0x28], 8);                  /* green */
	CHECK_EQ(zp[0x29], 8);
	CHECK_EQ(zp[0x2a], 8);                  /* blue */
	CHECK_EQ(zp[0x2b], 0);
	CHECK_EQ(zp[0x2c], 8);                  /* reserved */
	CHECK_EQ(zp[0x2d], 24);
	CHECK_EQ(r32(zp + 0x36), 3);            /* SKIP_QUIRKS | 64BIT_BASE */

	CHECK_EQ(r64(zp + 0x70), 0x7fb7e014);   /* acpi_rsdp_addr */

	/* Nothing else outside what was named: spot checks of the gaps. */
	for (unsigned off = 0x40; off < 0x70; off++)
		CHECK_EQ(zp[off], 0);
	for (unsigned off = 0x78; off < 0xc0; off++)
		CHECK_EQ(zp[off], 0);
	for (unsigned off = 0x26c; off < 0x2d0; off++)
		CHECK_EQ(zp[off], 0);
	for (unsigned off = 0xcd0; off < 4096; off++)
		CHECK_EQ(zp[off], 0);
}

TEST(linux_boot_params_variants)
{
	static struct map mp;
	struct linux_image im;
	struct linux_boot_info bi;
	struct linux_placement p;
	struct linux_fb fb;

	make_image();
	log_capture_start();
	ovmf_like(&mp, 48);
	info_init(&bi, &p, &mp, &fb);

	/* quiet, RGBX below 4 GiB, no initrd, no efi_info, placement and
	 * command line above 4 GiB for a kernel that allows it. */
	CHECK_EQ(parse(&im), 0);
	bi.quiet = true;
	fb = (struct linux_fb){ 0x80000000, 0, 800, 600, 800, LINUX_FB_RGBX };
	p = (struct linux_placement){ 0x140200000ull, 8 * MiB, 0, 0 };
	bi.efi_systab = 0;
	bi.cmdline_addr = 0x200001000ull;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), 0);
	CHECK_EQ(zp[0x211], 0x21);               /* LOADED_HIGH | QUIET */
	CHECK_EQ(r32(zp + 0x214), 0x100000);     /* code32_start: the file's, 32 bits cannot say */
	CHECK_EQ(r32(zp + 0x228), 0x1000);
	CHECK_EQ(r32(zp + 0xc8), 2);             /* ext_cmd_line_ptr */
	CHECK_EQ(r32(zp + 0x218), 0);
	CHECK_EQ(r32(zp + 0x21c), 0);
	for (unsigned off = 0x1c0; off < 0x1e0; off++)
		CHECK_EQ(zp[off], 0);                /* no efi_info */
	CHECK_EQ(zp[0x1e8], 10);                 /* the e820 table all the same */
	CHECK_EQ(r32(zp + 0x18), 0x80000000);
	CHECK_EQ(r32(zp + 0x3a), 0);
	CHECK_EQ(r32(zp + 0x36), 1);             /* SKIP_QUIRKS only */
	CHECK_EQ(zp[0x27], 0);                   /* red at 0 */
	CHECK_EQ(zp[0x2b], 16);                  /* blue at 16 */
	CHECK_EQ(r32(zp + 0x1c), 800 * 4 * 600);

	/* The file's QUIET and CAN_USE_HEAP bits do not survive. */
	img[0x211] = 0xa1;
	CHECK_EQ(parse(&im), 0);
	bi.quiet = false;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), 0);
	CHECK_EQ(zp[0x211], 0x01);

	/* No framebuffer: no screen_info at all. */
	bi.fb = NULL;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), 0);
	for (unsigned off = 0; off < 0x40; off++)
		CHECK_EQ(zp[off], 0);

	/* Protocol 2.13 predates acpi_rsdp_addr: not written, and said. */
	make_image();
	w16(img + 0x206, 0x020d);
	CHECK_EQ(parse(&im), 0);
	info_init(&bi, &p, &mp, &fb);
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), 0);
	CHECK_EQ(r64(zp + 0x70), 0);
	CHECK(log_has("predates acpi_rsdp_addr"));
}

TEST(linux_boot_params_cmdline)
{
	static struct map mp;
	static char line[4096];
	struct linux_image im;
	struct linux_boot_info bi;
	struct linux_placement p;
	struct linux_fb fb;

	make_image();
	log_capture_start();
	CHECK_EQ(parse(&im), 0);
	ovmf_like(&mp, 48);
	info_init(&bi, &p, &mp, &fb);
	bi.cmdline = line;

	/* cmdline_size counts the characters, the NUL excluded. */
	memset(line, 'x', 2047);
	line[2047] = '\0';
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), 0);
	line[2047] = 'x';
	line[2048] = '\0';
	memset(zp, 0xaa, sizeof(zp));
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -E2BIG);
	CHECK(log_has("longer than the 2047 bytes this kernel accepts"));
	for (unsigned off = 0; off < 4096; off++)
		CHECK_EQ(zp[off], 0); /* a refused page is all zero, not half built */

	/* The empty command line is fine; none at all is not. */
	bi.cmdline = "";
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), 0);
	bi.cmdline = NULL;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -EINVAL);
	bi.cmdline = "";
	bi.cmdline_addr = 0;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -EINVAL);
	CHECK(log_has("no command line"));

	/* A kernel limited to 4 GiB cannot take one above. */
	w16(img + 0x236, 0x01);
	CHECK_EQ(parse(&im), 0);
	bi.cmdline = "ro";
	bi.cmdline_addr = 0xfffffffdull; /* "ro\0" ends exactly at 4 GiB */
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), 0);
	bi.cmdline_addr = 0xfffffffeull;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -ERANGE);
	CHECK(log_has("above 4 GiB"));
}

TEST(linux_boot_params_refusals)
{
	static struct map mp;
	struct linux_image im;
	struct linux_boot_info bi;
	struct linux_placement p;
	struct linux_fb fb;

	make_image();
	log_capture_start();
	CHECK_EQ(parse(&im), 0);
	ovmf_like(&mp, 48);

	info_init(&bi, &p, &mp, &fb);
	p.kernel_addr += 0x1000;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -ERANGE);
	CHECK(log_has("not 2048 KiB-aligned"));
	info_init(&bi, &p, &mp, &fb);
	p.initrd_addr = 0x7fff0000;
	p.initrd_size = 0x10001; /* one byte past initrd_addr_max */
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -ERANGE);
	CHECK(log_has("passes initrd_addr_max 0x7fffffff"));
	p.initrd_size = 0x10000; /* ends on it */
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), 0);

	/* Framebuffers screen_info cannot describe. */
	info_init(&bi, &p, &mp, &fb);
	fb.width = 70000;
	fb.pixels_per_line = 70000;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -EINVAL);
	info_init(&bi, &p, &mp, &fb);
	fb.pixels_per_line = 16384; /* 64 KiB lines */
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -EINVAL);
	CHECK(log_has("does not fit screen_info"));
	info_init(&bi, &p, &mp, &fb);
	fb.pixels_per_line = 1000; /* below the width */
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -EINVAL);
	info_init(&bi, &p, &mp, &fb);
	fb.size = 1032 * 4 * 767;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -EINVAL);
	CHECK(log_has("smaller than its 1024x768 mode"));
	info_init(&bi, &p, &mp, &fb);
	fb.base = UINT64_MAX - 4096;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -EINVAL);
	info_init(&bi, &p, &mp, &fb);
	fb.format = (enum linux_fb_format)7;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -EINVAL);

	/* A broken map, or one with too many e820 entries. */
	info_init(&bi, &p, &mp, &fb);
	mp.m.desc_size = 12;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -EINVAL);
	map_init(&mp, 48);
	for (unsigned i = 0; i < 129; i++)
		add(&mp, i % 2 ? 0 : 7, (uint64_t)i << 12, 1);
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -E2BIG);
	bi.efi_map = NULL;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -EINVAL);

	/* Another file than the one parsed. */
	ovmf_like(&mp, 48);
	info_init(&bi, &p, &mp, &fb);
	img[0x201] = 0x66;
	CHECK_EQ(linux_build_params(zp, &im, img, &bi), -EINVAL);
	CHECK(log_has("not the one that was parsed"));
}

/* ---- Placement ---- */

static struct linux_image plan_image(void)
{
	struct linux_image im;

	make_image();
	hvb_log_set_sink(NULL, NULL);
	CHECK_EQ(parse(&im), 0);
	log_capture_start();
	return im;
}

TEST(linux_plan_prefers_pref_address)
{
	static struct map mp;
	struct linux_image im = plan_image();
	struct linux_placement p;

	ovmf_like(&mp, 48);
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
	ovmf_like(&mp, 48);
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
	map_init(&mp, 48);
	add(&mp, 4, 0x1000000, PG(0x234000));
	add(&mp, 7, 0x1234000, PG(0x3000000));
	CHECK_EQ(linux_plan(&im, 0, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.kernel_addr, 0x1400000);
	CHECK_EQ(p.kernel_addr % im.kernel_alignment, 0);

	/* A kernel across two adjacent conventional descriptors. */
	map_init(&mp, 48);
	add(&mp, 7, 0x1000000, PG(0x300000));
	add(&mp, 7, 0x1300000, PG(0x600000));
	CHECK_EQ(linux_plan(&im, 0, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.kernel_addr, 0x1000000);

	/* Never below pref_address, however much room there is lower. */
	map_init(&mp, 48);
	add(&mp, 7, 0x100000, PG(0xe00000));   /* 1-15 MiB */
	add(&mp, 7, 0x2000000, PG(0x1000000)); /* 32-48 MiB */
	CHECK_EQ(linux_plan(&im, MiB, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.kernel_addr, 0x2000000);
	/* The initrd goes high: just below the top of the 32-48 MiB run. */
	CHECK_EQ(p.initrd_addr, 0x3000000 - MiB);

	/* The initrd avoids the kernel: the only room left is below it. */
	map_init(&mp, 48);
	add(&mp, 7, 0x800000, PG(0x1000000)); /* 8-24 MiB; kernel at 16-24 */
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
	map_init(&mp, 48);
	add(&mp, 7, 0x100000, PG(0xf00000));      /* 1-16 MiB for the initrd */
	add(&mp, 7, 0x100000000, PG(0x40000000));
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
	map_init(&mp, 48);
	add(&mp, 7, 0x100000, PG(0x7ff00000));
	CHECK_EQ(linux_plan(&im, 5 * MiB + 1, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.initrd_addr, 0x10000000 - 5 * MiB - 4096);
	CHECK(p.initrd_addr + p.initrd_size - 1 <= 0x0fffffff);

	/* An initrd too large for what is left. */
	map_init(&mp, 48);
	add(&mp, 7, 0x1000000, PG(0x1000000)); /* 16-32 MiB */
	CHECK_EQ(linux_plan(&im, 8 * MiB + 1, &mp.m, NULL, 0, &p), -ENOMEM);
	CHECK(log_has("no room for the 8388609-byte initrd"));
	CHECK_EQ(linux_plan(&im, 8 * MiB, &mp.m, NULL, 0, &p), 0);
	CHECK_EQ(p.initrd_addr, 0x1800000);

	/* Nothing for the kernel at all. */
	map_init(&mp, 48);
	add(&mp, 7, 0x1000000, PG(0x7ff000)); /* one page short */
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
	map_init(&mp, 48);
	add(&mp, 7, 0x1000000, PG(0x1000000));
	add(&mp, 4, 0x1800000, 1);
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
		map_init(&mp, rnd(2) ? 48 : 40);
		memset(page_free, 0, sizeof(page_free));
		for (uint64_t pg = 0; pg < BF_PAGES;) {
			uint64_t len = 1 + rnd(rnd(4) ? 4096 : 64);
			uint32_t type = rnd(3) ? 7 : rnd(15);

			len = len > BF_PAGES - pg ? BF_PAGES - pg : len;
			add(&mp, type, pg * 4096, len);
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
