/* The zero page Linux is handed (payload/linux.c): every field the kernel
 * reads, at the offset bootparam.h gives it (spelled out here as numbers,
 * not taken from linux_proto.h, so a wrong constant there fails), its
 * variants, the command line and the refusals. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "linux_util.h"

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

	lx_make_image();
	log_capture_start();
	CHECK_EQ(lx_parse(&im), 0);
	lx_ovmf_like(&mp, 48);
	info_init(&bi, &p, &mp, &fb);
	memset(zp, 0xaa, sizeof(zp));
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), 0);

	/* The setup header is the file's, but for what the loader writes. */
	for (unsigned off = 0x1f1; off < 0x26c; off++) {
		if (off == 0x210 || off == 0x211 || (off >= 0x214 && off < 0x220) ||
		    (off >= 0x228 && off < 0x22c))
			continue;
		CHECK_MSG(zp[off] == lx_img[off], "header byte 0x%x: 0x%02x, file 0x%02x", off,
			  zp[off], lx_img[off]);
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

		CHECK_EQ(r64(e), lx_ovmf_e820[i].addr);
		CHECK_EQ(r64(e + 8), lx_ovmf_e820[i].size);
		CHECK_EQ(r32(e + 16), lx_ovmf_e820[i].type);
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

	lx_make_image();
	log_capture_start();
	lx_ovmf_like(&mp, 48);
	info_init(&bi, &p, &mp, &fb);

	/* quiet, RGBX below 4 GiB, no initrd, no efi_info, placement and
	 * command line above 4 GiB for a kernel that allows it. */
	CHECK_EQ(lx_parse(&im), 0);
	bi.quiet = true;
	fb = (struct linux_fb){ 0x80000000, 0, 800, 600, 800, LINUX_FB_RGBX };
	p = (struct linux_placement){ 0x140200000ull, 8 * MiB, 0, 0 };
	bi.efi_systab = 0;
	bi.cmdline_addr = 0x200001000ull;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), 0);
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
	lx_img[0x211] = 0xa1;
	CHECK_EQ(lx_parse(&im), 0);
	bi.quiet = false;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), 0);
	CHECK_EQ(zp[0x211], 0x01);

	/* No framebuffer: no screen_info at all. */
	bi.fb = NULL;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), 0);
	for (unsigned off = 0; off < 0x40; off++)
		CHECK_EQ(zp[off], 0);

	/* Protocol 2.13 predates acpi_rsdp_addr: not written, and said. */
	lx_make_image();
	w16(lx_img + 0x206, 0x020d);
	CHECK_EQ(lx_parse(&im), 0);
	info_init(&bi, &p, &mp, &fb);
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), 0);
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

	lx_make_image();
	log_capture_start();
	CHECK_EQ(lx_parse(&im), 0);
	lx_ovmf_like(&mp, 48);
	info_init(&bi, &p, &mp, &fb);
	bi.cmdline = line;

	/* cmdline_size counts the characters, the NUL excluded. */
	memset(line, 'x', 2047);
	line[2047] = '\0';
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), 0);
	line[2047] = 'x';
	line[2048] = '\0';
	memset(zp, 0xaa, sizeof(zp));
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -E2BIG);
	CHECK(log_has("longer than the 2047 bytes this kernel accepts"));
	for (unsigned off = 0; off < 4096; off++)
		CHECK_EQ(zp[off], 0); /* a refused page is all zero, not half built */

	/* The empty command line is fine; none at all is not. */
	bi.cmdline = "";
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), 0);
	bi.cmdline = NULL;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -EINVAL);
	bi.cmdline = "";
	bi.cmdline_addr = 0;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -EINVAL);
	CHECK(log_has("no command line"));

	/* A kernel limited to 4 GiB cannot take one above. */
	w16(lx_img + 0x236, 0x01);
	CHECK_EQ(lx_parse(&im), 0);
	bi.cmdline = "ro";
	bi.cmdline_addr = 0xfffffffdull; /* "ro\0" ends exactly at 4 GiB */
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), 0);
	bi.cmdline_addr = 0xfffffffeull;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -ERANGE);
	CHECK(log_has("above 4 GiB"));
}

TEST(linux_boot_params_refusals)
{
	static struct map mp;
	struct linux_image im;
	struct linux_boot_info bi;
	struct linux_placement p;
	struct linux_fb fb;

	lx_make_image();
	log_capture_start();
	CHECK_EQ(lx_parse(&im), 0);
	lx_ovmf_like(&mp, 48);

	info_init(&bi, &p, &mp, &fb);
	p.kernel_addr += 0x1000;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -ERANGE);
	CHECK(log_has("not 2048 KiB-aligned"));
	info_init(&bi, &p, &mp, &fb);
	p.initrd_addr = 0x7fff0000;
	p.initrd_size = 0x10001; /* one byte past initrd_addr_max */
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -ERANGE);
	CHECK(log_has("passes initrd_addr_max 0x7fffffff"));
	p.initrd_size = 0x10000; /* ends on it */
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), 0);

	/* Framebuffers screen_info cannot describe. */
	info_init(&bi, &p, &mp, &fb);
	fb.width = 70000;
	fb.pixels_per_line = 70000;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -EINVAL);
	info_init(&bi, &p, &mp, &fb);
	fb.pixels_per_line = 16384; /* 64 KiB lines */
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -EINVAL);
	CHECK(log_has("does not fit screen_info"));
	info_init(&bi, &p, &mp, &fb);
	fb.pixels_per_line = 1000; /* below the width */
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -EINVAL);
	info_init(&bi, &p, &mp, &fb);
	fb.size = 1032 * 4 * 767;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -EINVAL);
	CHECK(log_has("smaller than its 1024x768 mode"));
	info_init(&bi, &p, &mp, &fb);
	fb.base = UINT64_MAX - 4096;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -EINVAL);
	info_init(&bi, &p, &mp, &fb);
	fb.format = (enum linux_fb_format)7;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -EINVAL);

	/* A broken map, or one with too many e820 entries. */
	info_init(&bi, &p, &mp, &fb);
	mp.m.desc_size = 12;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -EINVAL);
	lx_map_init(&mp, 48);
	for (unsigned i = 0; i < 129; i++)
		lx_add(&mp, i % 2 ? 0 : 7, (uint64_t)i << 12, 1);
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -E2BIG);
	bi.efi_map = NULL;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -EINVAL);

	/* Another file than the one parsed. */
	lx_ovmf_like(&mp, 48);
	info_init(&bi, &p, &mp, &fb);
	lx_img[0x201] = 0x66;
	CHECK_EQ(linux_build_params(zp, &im, lx_img, &bi), -EINVAL);
	CHECK(log_has("not the one that was parsed"));
}
