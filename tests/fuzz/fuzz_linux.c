/* libFuzzer target: the Linux boot protocol (payload/linux*.c) on a kernel
 * file and an EFI memory map the input describes:
 *   byte 0      flags: bits 0-1 pick desc_size 40, 48, 56 or 64; bit 2 a
 *               framebuffer; bit 3 quiet; bits 4-7 the initrd size in MiB
 *   bytes 1-2   u16 LE: the kernel file's length L (cut to what is left)
 *   L bytes     the kernel file
 *   the rest    the memory map, desc_size bytes per descriptor
 * Each part is copied into a buffer of exactly its size, so a read past it
 * lands in ASan's redzone. When the file parses, the map is converted,
 * a placement is planned and the zero page built; whatever they accept
 * must meet the kernel's limits, checked here independently. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "../../payload/linux.h"

static uint8_t zero_page[LINUX_ZERO_PAGE_SIZE];

static void check_placement(const struct linux_image *im, const struct linux_placement *p,
			    uint64_t initrd_size, const struct linux_range *avoid)
{
	if (p->kernel_addr % im->kernel_alignment || p->kernel_size != im->init_size)
		__builtin_trap();
	if (!im->above_4g && p->kernel_addr + p->kernel_size > (1ull << 32))
		__builtin_trap();
	if (p->kernel_addr != im->pref_address &&
	    (p->kernel_addr < im->pref_address || p->kernel_addr < LINUX_KERNEL_MIN_ADDR))
		__builtin_trap(); /* below pref_address the kernel moves itself */
	if (p->kernel_addr < avoid->end && avoid->start < p->kernel_addr + p->kernel_size)
		__builtin_trap();
	if (!initrd_size)
		return;
	if (p->initrd_addr % 4096 || p->initrd_addr < LINUX_INITRD_MIN_ADDR ||
	    p->initrd_addr + initrd_size - 1 > im->initrd_addr_max)
		__builtin_trap();
	if (p->initrd_addr < p->kernel_addr + p->kernel_size &&
	    p->kernel_addr < p->initrd_addr + initrd_size)
		__builtin_trap();
	if (p->initrd_addr < avoid->end && avoid->start < p->initrd_addr + initrd_size)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t desc_sizes[] = { 40, 48, 56, 64 };
	static const struct linux_range avoid = { 0x1800000, 0x1801000 };
	struct linux_e820_entry e820[LINUX_E820_MAX];
	struct linux_image im;
	struct linux_placement place;
	struct linux_fb fb = { 0x80000000, 0, 1024, 768, 1024, LINUX_FB_BGRX };
	struct linux_efi_map map;
	struct linux_boot_info bi;
	uint8_t *file, *descs;
	uint64_t len, initrd_size;
	unsigned n;
	int rc;

	if (size < 3)
		return 0;
	len = (uint64_t)data[1] | (uint64_t)data[2] << 8;
	if (len > size - 3)
		len = size - 3;
	file = malloc(len ? len : 1);
	descs = malloc(size - 3 - len ? size - 3 - len : 1);
	if (!file || !descs)
		abort();
	memcpy(file, data + 3, len);
	memcpy(descs, data + 3 + len, size - 3 - len);
	map = (struct linux_efi_map){ descs, 0x7f000000, size - 3 - len, desc_sizes[data[0] & 3], 1 };

	/* The map on its own, whatever the file. */
	rc = linux_e820_from_efi(&map, e820, LINUX_E820_MAX, &n);
	if (rc == 0)
		for (unsigned i = 1; i < n; i++)
			if (e820[i].addr < e820[i - 1].addr + e820[i - 1].size ||
			    (e820[i].addr == e820[i - 1].addr + e820[i - 1].size &&
			     e820[i].type == e820[i - 1].type))
				__builtin_trap(); /* unsorted, overlapping or unmerged */

	if (linux_parse(file, len, &im) == 0) {
		if (im.pm_offset + im.pm_size > len || im.init_size < im.pm_size ||
		    im.hdr_end > 0x290 || im.kernel_alignment & (im.kernel_alignment - 1))
			__builtin_trap();
		initrd_size = (uint64_t)(data[0] >> 4) << 20;
		if (linux_plan(&im, initrd_size, &map, &avoid, 1, &place) == 0) {
			check_placement(&im, &place, initrd_size, &avoid);
			bi = (struct linux_boot_info){
				.place = &place,
				.cmdline = "console=ttyS0",
				.cmdline_addr = 0x10000,
				.efi_map = &map,
				.efi_systab = 0x7fe18018,
				.fb = data[0] & 4 ? &fb : NULL,
				.acpi_rsdp = 0x7fb7e014,
				.quiet = data[0] & 8,
			};
			rc = linux_build_params(zero_page, &im, file, &bi);
			/* The plan accepted the map and cmdline_size may be small;
			 * only a full e820 table or a short command line limit may
			 * refuse it now. */
			if (rc != 0 && rc != -E2BIG)
				__builtin_trap();
			if (rc == 0 && zero_page[0x210] != 0xff)
				__builtin_trap();
		}
	}
	free(file);
	free(descs);
	return 0;
}
