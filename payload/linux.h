/* Booting Linux through the x86 64-bit boot protocol (Linux's
 * Documentation/arch/x86/boot.rst): hvboot has left the firmware itself, so
 * there is no EFI stub; the kernel is entered at its 64-bit entry with a
 * zero page we build. This module checks the bzImage, turns the final EFI
 * memory map into the e820 table, chooses where the kernel and initrd go,
 * and fills struct boot_params. Pure code, no allocation: the hosted tests
 * run it, and the UEFI image runs it after ExitBootServices. Every byte of
 * the image is untrusted; so is the memory map, within reason.
 *
 * Order of use (boot/ in the UEFI image):
 *   linux_parse(file)                          before or after ExitBootServices
 *   ExitBootServices, with the final map
 *   linux_plan(image, initrd size, map, avoid) where the kernel and initrd go
 *   copy the protected-mode code to kernel_addr, the initrd to initrd_addr
 *   linux_build_params(zero page, ...)
 *   hvb_linux_enter(linux_entry64(&place), zero page address)
 */
#ifndef PAYLOAD_LINUX_H
#define PAYLOAD_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINUX_ZERO_PAGE_SIZE 4096u
#define LINUX_ENTRY64_OFFSET 0x200u /* the 64-bit entry, from the load address */
#define LINUX_E820_MAX 128u         /* entries the zero page holds */

/* Policy. */
#define LINUX_EFI_MAP_MAX_DESCS 4096u    /* more descriptors than this: a broken map */
#define LINUX_EFI_DESC_SIZE_MAX 4096u    /* a larger desc_size: a broken map */
#define LINUX_KERNEL_MIN_ADDR 0x1000000u /* 16 MiB: the kernel is never placed lower */
#define LINUX_INITRD_MIN_ADDR 0x100000u  /* 1 MiB: nor the initrd */

/* What linux_parse found in a bzImage. */
struct linux_image {
	uint16_t version;          /* boot protocol, e.g. 0x020f for 2.15 */
	uint8_t setup_sects;       /* as used: a 0 in the file reads as 4 */
	uint32_t hdr_end;          /* the setup header is [0x1f1, hdr_end) of the file */
	uint64_t setup_size;       /* real-mode part: (setup_sects + 1) * 512 bytes */
	uint64_t pm_offset;        /* protected-mode code in the file: at pm_offset ... */
	uint64_t pm_size;          /* ... for pm_size bytes (syssize * 16) */
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t kernel_alignment; /* a power of two, 4 KiB to 1 GiB */
	uint64_t pref_address;     /* 0: none */
	uint32_t init_size;        /* bytes the kernel needs from its load address, >= pm_size */
	uint32_t cmdline_size;     /* longest command line, NUL excluded */
	uint32_t initrd_addr_max;  /* highest byte the initrd may occupy */
	bool above_4g;             /* XLF_CAN_BE_LOADED_ABOVE_4G */
	char version_str[64];      /* the kernel's version string, printable ASCII; may be "" */
};

/* Checks img[0, len) as a bzImage the 64-bit entry can boot: boot flag
 * 0xAA55, "HdrS", protocol 2.12 or later, a header that fits boot_params,
 * setup and protected-mode parts inside the file, XLF_KERNEL_64, a
 * relocatable kernel, a sane kernel_alignment, init_size covering the code.
 * Returns 0 and fills *out, -ENOEXEC when the file is not such a kernel, or
 * -EINVAL when its header contradicts itself; each refusal is logged. */
int linux_parse(const uint8_t *img, uint64_t len, struct linux_image *out);

/* One EFI memory descriptor (UEFI 2.10, 7.2, EFI_MEMORY_DESCRIPTOR) as far
 * as we read it. Firmware strides by its own desc_size (OVMF: 48), never by
 * sizeof this struct. */
struct efi_mem_desc {
	uint32_t type;       /* EFI_MT_* (linux_proto.h) */
	uint32_t pad;
	uint64_t phys_start; /* 4 KiB aligned */
	uint64_t virt_start;
	uint64_t num_pages;  /* of 4 KiB */
	uint64_t attribute;
};
_Static_assert(sizeof(struct efi_mem_desc) == 40, "UEFI: the version 1 descriptor is 40 bytes");
_Static_assert(offsetof(struct efi_mem_desc, phys_start) == 8, "UEFI: PhysicalStart at 8");
_Static_assert(offsetof(struct efi_mem_desc, num_pages) == 24, "UEFI: NumberOfPages at 24");

/* An EFI memory map as GetMemoryMap returned it. */
struct linux_efi_map {
	const void *descs;     /* the descriptors (any alignment) */
	uint64_t addr;         /* their physical address, for efi_info */
	uint64_t size;         /* bytes: a multiple of desc_size */
	uint32_t desc_size;    /* the firmware's stride, >= 40 */
	uint32_t desc_version;
};

/* An e820 entry, unpacked (the zero page packs it into 20 bytes). */
struct linux_e820_entry {
	uint64_t addr, size;
	uint32_t type; /* E820_* (linux_proto.h) */
};

/* The e820 type Linux gets for an EFI memory type: loader, boot services
 * and conventional memory are RAM (free once we jump), ACPI reclaim is ACPI,
 * ACPI NVS is NVS, unusable is UNUSABLE, persistent is PMEM, everything else
 * (runtime services, MMIO, PAL code, reserved, types we do not know) is
 * RESERVED. */
uint32_t linux_e820_type(uint32_t efi_type);

/* Converts the map: entries sorted by address, adjacent entries of one type
 * merged, empty descriptors skipped. Rejects (-EINVAL, logged) a desc_size
 * below 40 or above LINUX_EFI_DESC_SIZE_MAX, a size that is not a multiple
 * of it or holds more than LINUX_EFI_MAP_MAX_DESCS descriptors, a
 * descriptor not 4 KiB aligned or reaching past 2^64, and overlapping
 * descriptors; -E2BIG when more than max entries remain after merging.
 * Sets *count. */
int linux_e820_from_efi(const struct linux_efi_map *map, struct linux_e820_entry *out,
			unsigned max, unsigned *count);

/* A physical range [start, end). */
struct linux_range {
	uint64_t start, end;
};

/* Where the kernel and the initrd go. */
struct linux_placement {
	uint64_t kernel_addr; /* copy the protected-mode code here */
	uint64_t kernel_size; /* init_size: the kernel owns [kernel_addr, + kernel_size) */
	uint64_t initrd_addr; /* 0 when there is no initrd */
	uint64_t initrd_size;
};

/* Chooses the placement from the final map (after ExitBootServices, so
 * nothing moves afterwards). Only ConventionalMemory is used: loader,
 * boot-services and runtime memory hold our image, the firmware's page
 * tables and stack, and the map itself. avoid[0, navoid) are further ranges
 * to keep clear (our pages that the map shows as conventional, the zero
 * page, the command line...); empty ranges are ignored.
 * The kernel: its init_size bytes at pref_address when free, else at the
 * lowest kernel_alignment-aligned address at or above both pref_address
 * and LINUX_KERNEL_MIN_ADDR (below pref_address the decompressor would move
 * itself to pref_address, into memory nobody checked), below 4 GiB unless
 * the kernel may be loaded above. The initrd: page aligned, as high as
 * possible with its last byte at or below initrd_addr_max (which keeps it
 * below 4 GiB) and its start at or above LINUX_INITRD_MIN_ADDR, clear of
 * the kernel. Returns 0, -EINVAL (bad map or avoid range) or -ENOMEM when
 * nothing fits, with a sentence saying what was needed. */
int linux_plan(const struct linux_image *img, uint64_t initrd_size, const struct linux_efi_map *map,
	       const struct linux_range *avoid, unsigned navoid, struct linux_placement *out);

/* The 64-bit entry point of a placed kernel. */
static inline uint64_t linux_entry64(const struct linux_placement *p)
{
	return p->kernel_addr + LINUX_ENTRY64_OFFSET;
}

/* A GOP framebuffer, for screen_info (efifb/simplefb in Linux). */
enum linux_fb_format {
	LINUX_FB_RGBX, /* PixelRedGreenBlueReserved8BitPerColor: red in byte 0 */
	LINUX_FB_BGRX, /* PixelBlueGreenRedReserved8BitPerColor: blue in byte 0 */
};

struct linux_fb {
	uint64_t base;            /* physical */
	uint64_t size;            /* bytes; 0: not known */
	uint32_t width, height;   /* pixels, at most 65535 each */
	uint32_t pixels_per_line; /* >= width */
	enum linux_fb_format format;
};

/* What linux_build_params puts in the zero page besides the image's own
 * header. Addresses are physical (identity-mapped when we jump). */
struct linux_boot_info {
	const struct linux_placement *place; /* from linux_plan; the code is copied there */
	const char *cmdline;       /* NUL-terminated, "" for none: the bytes at cmdline_addr */
	uint64_t cmdline_addr;     /* nonzero: a 0 means "pre-2.02 loader" to the kernel */
	const struct linux_efi_map *efi_map; /* the final map: e820 and efi_info */
	uint64_t efi_systab;       /* EFI system table; 0: no efi_info (no runtime services) */
	const struct linux_fb *fb; /* NULL: no screen_info */
	uint64_t acpi_rsdp;        /* 0: let the kernel find it (EFI config table) */
	bool quiet;                /* QUIET_FLAG: no early messages on the display */
};

/* Fills zero_page[0, LINUX_ZERO_PAGE_SIZE): zeroes it, copies the setup
 * header from file (the bytes linux_parse accepted as img), and sets
 * type_of_loader, loadflags, code32_start, the command line, the initrd,
 * the e820 table, efi_info, screen_info and acpi_rsdp_addr. Returns 0;
 * -E2BIG when the command line is longer than cmdline_size or the map needs
 * more than 128 e820 entries; -ERANGE when the placement breaks the kernel's
 * limits (alignment, initrd_addr_max, 4 GiB); -EINVAL for a bad map,
 * framebuffer or file. Each is logged. On failure the page is zeroed.
 * The zero page's own address is the caller's to keep below 4 GiB unless
 * img->above_4g: it is passed in RSI, never written here. */
int linux_build_params(uint8_t *zero_page, const struct linux_image *img, const uint8_t *file,
		       const struct linux_boot_info *info);

#endif
