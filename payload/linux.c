/* The Linux x86 64-bit boot protocol (see linux.h; layout in linux_proto.h):
 * the bzImage checked and the zero page built; the memory map side is in
 * linux_mem.c. The image file is untrusted: every offset and length is
 * checked in 64-bit arithmetic before use, and anything out of range is
 * refused with one log line, never clamped. No allocation, no libc beyond
 * string.h: this file also builds freestanding into the UEFI image. */
#include "linux.h"

#include <errno.h>
#include <string.h>

#include "../lib/log.h"
#include "linux_proto.h"

_Static_assert(LINUX_E820_MAX == BP_E820_MAX, "one e820 limit");
_Static_assert(LINUX_ZERO_PAGE_SIZE == BP_SIZE, "one zero-page size");

#define SECTOR 512u
#define PAGE_4K 4096ull
#define SZ_1G (1ull << 30)
#define SZ_4G (1ull << 32)

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static void put8(uint8_t *zp, unsigned off, uint8_t v) { zp[off] = v; }

static void put16(uint8_t *zp, unsigned off, uint16_t v)
{
	zp[off] = (uint8_t)v;
	zp[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *zp, unsigned off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		zp[off + i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *zp, unsigned off, uint64_t v)
{
	put32(zp, off, (uint32_t)v);
	put32(zp, off + 4, (uint32_t)(v >> 32));
}

static unsigned long long ull(uint64_t v) { return (unsigned long long)v; }

static bool is_pow2(uint64_t x) { return x && !(x & (x - 1)); }

/* ---- The image ---- */

/* The string kernel_version points at (0x200 + the field, inside the setup
 * code), for messages only: a bad pointer leaves it empty, it is no reason
 * to refuse a kernel. */
static void read_version_str(const uint8_t *img, struct linux_image *im)
{
	uint16_t rel = le16(img + SH_KERNEL_VERSION);
	uint64_t at = SH_JUMP + (uint64_t)rel;
	size_t n = 0;

	im->version_str[0] = '\0';
	if (!rel)
		return;
	while (n < sizeof(im->version_str) - 1 && at + n < im->setup_size && img[at + n]) {
		uint8_t c = img[at + n];

		im->version_str[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	im->version_str[n] = '\0';
}

int linux_parse(const uint8_t *img, uint64_t len, struct linux_image *out)
{
	struct linux_image im;
	unsigned ss;

	memset(&im, 0, sizeof(im));
	if (len < SH_END_MIN) {
		log_err("kernel image: the file is %llu bytes, too short for a Linux setup header "
			"(which ends at 0x%x)", ull(len), SH_END_MIN);
		return -ENOEXEC;
	}
	if (le16(img + SH_BOOT_FLAG) != BOOT_FLAG_MAGIC) {
		log_err("kernel image: not a Linux bzImage: the boot flag at 0x1fe is 0x%04x, not 0xaa55",
			le16(img + SH_BOOT_FLAG));
		return -ENOEXEC;
	}
	if (memcmp(img + SH_HEADER, HDRS_MAGIC, 4) != 0) {
		log_err("kernel image: not a Linux bzImage: no \"HdrS\" setup header signature at 0x202");
		return -ENOEXEC;
	}
	im.version = le16(img + SH_VERSION);
	if (im.version < BOOT_PROTO_XLOADFLAGS) {
		log_err("kernel image: boot protocol %u.%02u is older than 2.12, the first that can "
			"announce a 64-bit entry point (Linux 3.8 and later have it)",
			im.version >> 8, im.version & 0xff);
		return -ENOEXEC;
	}
	/* The jump at 0x200 skips the header, so its offset byte says where
	 * the header ends (boot.rst); that is how much we copy into the zero
	 * page, whose slot for it ends at 0x290. */
	im.hdr_end = SH_HEADER + img[SH_JUMP + 1];
	if (im.hdr_end < SH_END_MIN || im.hdr_end > BP_HDR_SLOT_END) {
		log_err("kernel image: the setup header ends at 0x%x (0x202 + the byte at 0x201); a "
			"protocol %u.%02u header ends between 0x%x and 0x%x",
			im.hdr_end, im.version >> 8, im.version & 0xff, SH_END_MIN, BP_HDR_SLOT_END);
		return -EINVAL;
	}
	ss = img[SH_SETUP_SECTS] ? img[SH_SETUP_SECTS] : 4; /* 0 means 4: boot.rst */
	im.setup_sects = (uint8_t)ss;
	im.setup_size = (uint64_t)(ss + 1) * SECTOR;
	if (im.setup_size > len) {
		log_err("kernel image: the setup code (%u sectors after the boot sector, %llu bytes) "
			"runs past the end of the %llu-byte file", ss, ull(im.setup_size), ull(len));
		return -EINVAL;
	}
	/* syssize, not the rest of the file: a signed kernel carries its
	 * Authenticode signature after the code. */
	im.pm_offset = im.setup_size;
	im.pm_size = (uint64_t)le32(img + SH_SYSSIZE) * 16;
	if (im.pm_size > len - im.setup_size) {
		log_err("kernel image: the protected-mode code (syssize %u: %llu bytes from offset "
			"%llu) runs past the end of the %llu-byte file",
			le32(img + SH_SYSSIZE), ull(im.pm_size), ull(im.pm_offset), ull(len));
		return -EINVAL;
	}
	if (im.pm_size <= LINUX_ENTRY64_OFFSET) {
		log_err("kernel image: the protected-mode code is %llu bytes (syssize %u), too small "
			"to hold the 64-bit entry at offset 0x%x",
			ull(im.pm_size), le32(img + SH_SYSSIZE), LINUX_ENTRY64_OFFSET);
		return -EINVAL;
	}
	im.loadflags = img[SH_LOADFLAGS];
	if (!(im.loadflags & LOADED_HIGH)) {
		log_err("kernel image: not a bzImage (LOADED_HIGH is clear in loadflags 0x%02x): a "
			"zImage must run at 0x10000", im.loadflags);
		return -ENOEXEC;
	}
	im.xloadflags = le16(img + SH_XLOADFLAGS);
	if (!(im.xloadflags & XLF_KERNEL_64)) {
		log_err("kernel image: no 64-bit entry point (XLF_KERNEL_64 is clear in xloadflags "
			"0x%04x; a 32-bit kernel?); hvboot enters Linux in 64-bit mode only",
			im.xloadflags);
		return -ENOEXEC;
	}
	if (!img[SH_RELOCATABLE]) {
		log_err("kernel image: the kernel is not relocatable (relocatable_kernel is 0); hvboot "
			"places it in memory the firmware left free, so it needs CONFIG_RELOCATABLE");
		return -ENOEXEC;
	}
	im.kernel_alignment = le32(img + SH_KERNEL_ALIGNMENT);
	if (!is_pow2(im.kernel_alignment) || im.kernel_alignment < PAGE_4K ||
	    im.kernel_alignment > SZ_1G) {
		log_err("kernel image: kernel_alignment 0x%x is not a power of two between 4 KiB and "
			"1 GiB", im.kernel_alignment);
		return -EINVAL;
	}
	im.init_size = le32(img + SH_INIT_SIZE);
	if (im.init_size < im.pm_size) {
		log_err("kernel image: init_size %u is smaller than the %llu bytes of protected-mode "
			"code it has to hold", im.init_size, ull(im.pm_size));
		return -EINVAL;
	}
	im.pref_address = le64(img + SH_PREF_ADDRESS);
	if (im.pref_address > UINT64_MAX - im.init_size) {
		log_err("kernel image: pref_address 0x%llx plus init_size %u passes 2^64",
			ull(im.pref_address), im.init_size);
		return -EINVAL;
	}
	im.cmdline_size = le32(img + SH_CMDLINE_SIZE);
	im.initrd_addr_max = le32(img + SH_INITRD_ADDR_MAX);
	im.above_4g = im.xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G;
	read_version_str(img, &im);
	log_info("kernel image: Linux %s, boot protocol %u.%02u, %llu bytes of code, needs %u KiB "
		 "aligned to %u KiB", im.version_str[0] ? im.version_str : "(no version string)",
		 im.version >> 8, im.version & 0xff, ull(im.pm_size), im.init_size / 1024,
		 im.kernel_alignment / 1024);
	*out = im;
	return 0;
}

/* ---- The zero page ---- */

/* The placement against the kernel's own limits: linux_plan keeps them,
 * this catches a caller that placed things itself. */
static int check_placement(const struct linux_image *img, const struct linux_placement *p)
{
	uint64_t limit = img->above_4g ? UINT64_MAX : SZ_4G;

	if (!p->kernel_addr || p->kernel_addr & (img->kernel_alignment - 1) ||
	    p->kernel_addr > limit || img->init_size > limit - p->kernel_addr) {
		log_err("boot params: the kernel at 0x%llx is not %u KiB-aligned inside the %s it "
			"may occupy", ull(p->kernel_addr), img->kernel_alignment / 1024,
			img->above_4g ? "address space" : "first 4 GiB");
		return -ERANGE;
	}
	if (p->initrd_size && (!p->initrd_addr || p->initrd_addr > img->initrd_addr_max ||
			       p->initrd_size - 1 > img->initrd_addr_max - p->initrd_addr)) {
		log_err("boot params: the initrd at 0x%llx (%llu bytes) passes initrd_addr_max 0x%x",
			ull(p->initrd_addr), ull(p->initrd_size), img->initrd_addr_max);
		return -ERANGE;
	}
	return 0;
}

/* strnlen is POSIX, not C11, and not in the freestanding image. */
static uint64_t bounded_len(const char *s, uint64_t max)
{
	uint64_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

static int set_cmdline(uint8_t *zp, const struct linux_image *img, const struct linux_boot_info *info)
{
	uint64_t len;

	/* A zero cmd_line_ptr tells the kernel the loader predates 2.02, so
	 * even no command line is an empty string somewhere. */
	if (!info->cmdline || !info->cmdline_addr) {
		log_err("boot params: no command line; pass \"\" at a nonzero address for none");
		return -EINVAL;
	}
	len = bounded_len(info->cmdline, (uint64_t)img->cmdline_size + 1);
	if (len > img->cmdline_size) {
		log_err("boot params: the command line is longer than the %u bytes this kernel "
			"accepts (cmdline_size)", img->cmdline_size);
		return -E2BIG;
	}
	if (info->cmdline_addr > UINT64_MAX - len - 1 ||
	    (!img->above_4g && info->cmdline_addr + len + 1 > SZ_4G)) {
		log_err("boot params: the command line at 0x%llx is above 4 GiB, where this kernel "
			"cannot reach it", ull(info->cmdline_addr));
		return -ERANGE;
	}
	put32(zp, SH_CMD_LINE_PTR, (uint32_t)info->cmdline_addr);
	put32(zp, BP_EXT_CMD_LINE_PTR, (uint32_t)(info->cmdline_addr >> 32));
	return 0;
}

static int set_e820(uint8_t *zp, const struct linux_efi_map *map)
{
	struct linux_e820_entry e[LINUX_E820_MAX];
	unsigned n;
	int rc = linux_e820_from_efi(map, e, LINUX_E820_MAX, &n);

	if (rc)
		return rc;
	put8(zp, BP_E820_ENTRIES, (uint8_t)n);
	for (unsigned i = 0; i < n; i++) {
		unsigned off = BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;

		put64(zp, off, e[i].addr);
		put64(zp, off + 8, e[i].size);
		put32(zp, off + 16, e[i].type);
	}
	return 0;
}

/* efi_info makes Linux an EFI boot (the signature names a 64-bit loader):
 * it then reads the system table and this map, keeps runtime services and
 * calls SetVirtualAddressMap itself, which is why we never do. */
static int set_efi_info(uint8_t *zp, const struct linux_boot_info *info)
{
	const struct linux_efi_map *m = info->efi_map;
	unsigned ei = BP_EFI_INFO;

	if (!info->efi_systab)
		return 0;
	if (m->size > UINT32_MAX) {
		log_err("boot params: the EFI memory map is %llu bytes, more than efi_info can say",
			ull(m->size));
		return -EINVAL;
	}
	memcpy(zp + ei + EI_LOADER_SIGNATURE, EFI_LOADER_SIGNATURE_64, 4);
	put32(zp, ei + EI_SYSTAB, (uint32_t)info->efi_systab);
	put32(zp, ei + EI_SYSTAB_HI, (uint32_t)(info->efi_systab >> 32));
	put32(zp, ei + EI_MEMDESC_SIZE, m->desc_size);
	put32(zp, ei + EI_MEMDESC_VERSION, m->desc_version);
	put32(zp, ei + EI_MEMMAP, (uint32_t)m->addr);
	put32(zp, ei + EI_MEMMAP_HI, (uint32_t)(m->addr >> 32));
	put32(zp, ei + EI_MEMMAP_SIZE, (uint32_t)m->size);
	return 0;
}

/* screen_info as Linux's EFI stub fills it from GOP, so efifb or
 * simplefb takes the framebuffer over: 32 bits per pixel, 8 bits per
 * colour, base split in two halves. */
static int set_screen_info(uint8_t *zp, const struct linux_fb *fb)
{
	unsigned si = BP_SCREEN_INFO;
	uint64_t line, size;
	uint8_t red_pos, blue_pos;
	uint32_t caps = VIDEO_CAPABILITY_SKIP_QUIRKS; /* the mode is GOP's, not a guess */

	if (!fb)
		return 0;
	line = (uint64_t)fb->pixels_per_line * 4;
	if (!fb->width || !fb->height || fb->width > 0xffff || fb->height > 0xffff ||
	    fb->pixels_per_line < fb->width || line > 0xffff) {
		log_err("boot params: framebuffer %ux%u with %u pixels per line does not fit "
			"screen_info (16-bit width, height and line length, line >= width)",
			fb->width, fb->height, fb->pixels_per_line);
		return -EINVAL;
	}
	size = line * fb->height; /* below 2^32: both are 16-bit */
	if ((fb->size && fb->size < size) || fb->base > UINT64_MAX - size) {
		log_err("boot params: framebuffer at 0x%llx of %llu bytes is smaller than its "
			"%ux%u mode (%llu bytes)", ull(fb->base), ull(fb->size), fb->width,
			fb->height, ull(size));
		return -EINVAL;
	}
	if (fb->format == LINUX_FB_RGBX) {
		red_pos = 0;
		blue_pos = 16;
	} else if (fb->format == LINUX_FB_BGRX) {
		red_pos = 16;
		blue_pos = 0;
	} else {
		log_err("boot params: framebuffer pixel format %d is neither RGBX nor BGRX",
			(int)fb->format);
		return -EINVAL;
	}
	if (fb->base >> 32)
		caps |= VIDEO_CAPABILITY_64BIT_BASE;
	put8(zp, si + SI_ORIG_VIDEO_ISVGA, VIDEO_TYPE_EFI);
	put16(zp, si + SI_LFB_WIDTH, (uint16_t)fb->width);
	put16(zp, si + SI_LFB_HEIGHT, (uint16_t)fb->height);
	put16(zp, si + SI_LFB_DEPTH, 32);
	put32(zp, si + SI_LFB_BASE, (uint32_t)fb->base);
	put32(zp, si + SI_EXT_LFB_BASE, (uint32_t)(fb->base >> 32));
	put32(zp, si + SI_LFB_SIZE, (uint32_t)size);
	put16(zp, si + SI_LFB_LINELENGTH, (uint16_t)line);
	put8(zp, si + SI_RED_SIZE, 8);
	put8(zp, si + SI_RED_POS, red_pos);
	put8(zp, si + SI_GREEN_SIZE, 8);
	put8(zp, si + SI_GREEN_POS, 8);
	put8(zp, si + SI_BLUE_SIZE, 8);
	put8(zp, si + SI_BLUE_POS, blue_pos);
	put8(zp, si + SI_RSVD_SIZE, 8);
	put8(zp, si + SI_RSVD_POS, 24);
	put32(zp, si + SI_CAPABILITIES, caps);
	return 0;
}

static int fill_params(uint8_t *zp, const struct linux_image *img, const uint8_t *file,
		       const struct linux_boot_info *info)
{
	const struct linux_placement *p = info->place;
	uint8_t flags;
	int rc;

	/* Cheap proof that file is the image img describes: the header copy
	 * below trusts img->hdr_end. */
	if (memcmp(file + SH_HEADER, HDRS_MAGIC, 4) != 0 ||
	    SH_HEADER + (uint32_t)file[SH_JUMP + 1] != img->hdr_end) {
		log_err("boot params: the kernel file is not the one that was parsed");
		return -EINVAL;
	}
	if (!p || !info->efi_map) {
		log_err("boot params: a placement and the EFI memory map are required");
		return -EINVAL;
	}
	if ((rc = check_placement(img, p)) != 0)
		return rc;

	/* The header as the image has it, into a page that is otherwise
	 * zero: the sentinel at 0x1ef (before the header) stays 0, which
	 * tells the kernel that nothing else was copied blindly. */
	memcpy(zp + BP_HDR, file + BP_HDR, img->hdr_end - BP_HDR);
	put8(zp, SH_TYPE_OF_LOADER, TYPE_OF_LOADER_UNDEFINED);
	/* LOADED_HIGH and the kernel's KASLR bit stay as the image has them.
	 * CAN_USE_HEAP stays clear: heap_end_ptr sizes the real-mode setup
	 * code's heap, and the 64-bit entry never runs that code. */
	flags = img->loadflags & (uint8_t)~(QUIET_FLAG | CAN_USE_HEAP);
	if (info->quiet)
		flags |= QUIET_FLAG;
	put8(zp, SH_LOADFLAGS, flags);
	/* Unused by the 64-bit entry, but boot.rst asks a loader that moved
	 * a relocatable kernel to say where it went. */
	if (!(p->kernel_addr >> 32))
		put32(zp, SH_CODE32_START, (uint32_t)p->kernel_addr);

	if ((rc = set_cmdline(zp, img, info)) != 0)
		return rc;
	if (p->initrd_size) {
		put32(zp, SH_RAMDISK_IMAGE, (uint32_t)p->initrd_addr);
		put32(zp, BP_EXT_RAMDISK_IMAGE, (uint32_t)(p->initrd_addr >> 32));
		put32(zp, SH_RAMDISK_SIZE, (uint32_t)p->initrd_size);
		put32(zp, BP_EXT_RAMDISK_SIZE, (uint32_t)(p->initrd_size >> 32));
	}
	if ((rc = set_e820(zp, info->efi_map)) != 0 || (rc = set_efi_info(zp, info)) != 0 ||
	    (rc = set_screen_info(zp, info->fb)) != 0)
		return rc;
	if (info->acpi_rsdp) {
		if (img->version >= BOOT_PROTO_RSDP)
			put64(zp, BP_ACPI_RSDP_ADDR, info->acpi_rsdp);
		else
			log_info("boot params: boot protocol %u.%02u predates acpi_rsdp_addr (2.14); "
				 "the kernel finds the RSDP through the EFI system table",
				 img->version >> 8, img->version & 0xff);
	}
	return 0;
}

int linux_build_params(uint8_t *zero_page, const struct linux_image *img, const uint8_t *file,
		       const struct linux_boot_info *info)
{
	int rc;

	memset(zero_page, 0, LINUX_ZERO_PAGE_SIZE);
	rc = fill_params(zero_page, img, file, info);
	if (rc)
		memset(zero_page, 0, LINUX_ZERO_PAGE_SIZE);
	return rc;
}
