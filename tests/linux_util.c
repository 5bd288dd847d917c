/* The boot-protocol tests' material (linux_util.h). */
#include "linux_util.h"

#include <string.h>

uint8_t lx_img[IMG_BYTES + TAIL];

/* A protocol 2.15 x86_64 bzImage as Linux 6.1 builds it, with a small
 * protected-mode part of recognisable bytes. */
void lx_make_image(void)
{
	memset(lx_img, 0, sizeof(lx_img));
	for (size_t i = SETUP_BYTES; i < sizeof(lx_img); i++)
		lx_img[i] = (uint8_t)(i * 7);
	lx_img[0x1f1] = SETUP_SECTS;
	w32(lx_img + 0x1f4, PM_BYTES / 16); /* syssize */
	w16(lx_img + 0x1fa, 0xffff);        /* vid_mode "normal" */
	w16(lx_img + 0x1fe, 0xaa55);
	lx_img[0x200] = 0xeb;
	lx_img[0x201] = 0x6a; /* header ends at 0x26c */
	memcpy(lx_img + 0x202, "HdrS", 4);
	w16(lx_img + 0x206, 0x020f);
	w16(lx_img + 0x20e, 0x400); /* version string at 0x600 */
	strcpy((char *)lx_img + 0x600, "6.99.0-test (hvboot@tests) #1 SMP");
	lx_img[0x211] = 0x01;               /* LOADED_HIGH */
	w32(lx_img + 0x214, 0x100000);      /* code32_start default */
	w32(lx_img + 0x22c, 0x7fffffff);    /* initrd_addr_max */
	w32(lx_img + 0x230, 0x200000);      /* kernel_alignment */
	lx_img[0x234] = 1;                  /* relocatable */
	lx_img[0x235] = 21;                 /* min_alignment */
	w16(lx_img + 0x236, 0x7f);          /* xloadflags: 64-bit, above 4G, handovers, ... */
	w32(lx_img + 0x238, 2047);          /* cmdline_size */
	w64(lx_img + 0x258, 0x1000000);     /* pref_address */
	w32(lx_img + 0x260, 8 * MiB);       /* init_size */
	w32(lx_img + 0x264, 0x190);         /* handover_offset */
	w32(lx_img + 0x268, 0x1234);        /* kernel_info_offset */
	lx_img[0x26c] = 0x5a;               /* first byte after the header: setup code */
}

int lx_parse(struct linux_image *im) { return linux_parse(lx_img, sizeof(lx_img), im); }

void lx_map_init(struct map *mp, uint32_t desc_size)
{
	memset(mp->b, 0xee, sizeof(mp->b)); /* the bytes past 40 are not ours to read */
	mp->ds = desc_size;
	mp->n = 0;
	mp->m = (struct linux_efi_map){ mp->b, 0x7f000000, 0, desc_size, 1 };
}

void lx_add(struct map *mp, uint32_t type, uint64_t start, uint64_t pages)
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

/* A small OVMF-like map, deliberately out of order. */
void lx_ovmf_like(struct map *mp, uint32_t ds)
{
	lx_map_init(mp, ds);
	lx_add(mp, 7, 0x100000, PG(0x700000));        /* conventional 1M-8M */
	lx_add(mp, 3, 0x0, PG(0x1000));               /* boot services code 0-4K */
	lx_add(mp, 7, 0x1000, PG(0x9f000));           /* conventional 4K-640K */
	lx_add(mp, 0, 0xa0000, PG(0x60000));          /* reserved 640K-1M */
	lx_add(mp, 4, 0x800000, PG(0x100000));        /* BS data 8M-9M: merges into RAM */
	lx_add(mp, 2, 0x900000, PG(0x100000));        /* loader data 9M-10M */
	lx_add(mp, 1, 0xa00000, PG(0x100000));        /* loader code 10M-11M */
	lx_add(mp, 7, 0xb00000, PG(0x7f500000));      /* conventional 11M-0x80000000 */
	lx_add(mp, 7, 0xf0000000, 0);                 /* empty: skipped */
	lx_add(mp, 10, 0x80100000, PG(0x100000));     /* ACPI NVS */
	lx_add(mp, 9, 0x80000000, PG(0x100000));      /* ACPI reclaim */
	lx_add(mp, 6, 0x80200000, PG(0x200000));      /* runtime data */
	lx_add(mp, 5, 0x80400000, PG(0x100000));      /* runtime code: merges with runtime data */
	lx_add(mp, 11, 0xffc00000, PG(0x400000));     /* MMIO flash */
	lx_add(mp, 8, 0x100000000, PG(0x100000));     /* unusable */
	lx_add(mp, 14, 0x100100000, PG(0x40000000));  /* persistent */
	lx_add(mp, 7, 0x140100000, PG(0x40000000));   /* conventional above 4G */
}

const struct linux_e820_entry lx_ovmf_e820[] = {
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
