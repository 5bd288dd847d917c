/* The Linux x86 boot protocol as bytes: offsets in the bzImage setup header
 * and in struct boot_params (the "zero page"), their flags, the e820 types,
 * and the EFI memory types the e820 table is made from.
 *
 * Facts from Linux's Documentation/arch/x86/boot.rst and
 * arch/x86/include/uapi/asm/bootparam.h (with include/uapi/linux/
 * screen_info.h for the framebuffer block); the layout is ABI and never
 * moves, so everything here is a byte offset and payload/linux.c reads and
 * writes little-endian bytes instead of overlaying packed structs. */
#ifndef PAYLOAD_LINUX_PROTO_H
#define PAYLOAD_LINUX_PROTO_H

#include <stdint.h>

/* ---- struct boot_params (bootparam.h), 4096 bytes ---- */
#define BP_SIZE 4096u
#define BP_SCREEN_INFO 0x000      /* struct screen_info, 0x40 bytes */
#define BP_ACPI_RSDP_ADDR 0x070   /* u64, read by protocol 2.14+ kernels */
#define BP_EXT_RAMDISK_IMAGE 0x0c0 /* u32: bits 32-63 of ramdisk_image */
#define BP_EXT_RAMDISK_SIZE 0x0c4  /* u32: bits 32-63 of ramdisk_size */
#define BP_EXT_CMD_LINE_PTR 0x0c8  /* u32: bits 32-63 of cmd_line_ptr */
#define BP_EFI_INFO 0x1c0          /* struct efi_info, 0x20 bytes */
#define BP_E820_ENTRIES 0x1e8      /* u8 */
#define BP_SENTINEL 0x1ef          /* u8; must stay 0, see linux_build_params */
#define BP_HDR 0x1f1               /* struct setup_header, copied from the image */
#define BP_HDR_SLOT_END 0x290      /* edd_mbr_sig_buffer starts here */
#define BP_E820_TABLE 0x2d0        /* struct boot_e820_entry[128] */
#define BP_E820_ENTRY_SIZE 20      /* packed: u64 addr, u64 size, u32 type */
#define BP_E820_MAX 128            /* E820_MAX_ENTRIES_ZEROPAGE */
#define BP_E820_TABLE_END 0xcd0    /* _pad8 follows the table */

_Static_assert(BP_E820_TABLE + BP_E820_MAX * BP_E820_ENTRY_SIZE == BP_E820_TABLE_END,
	      "bootparam.h: 128 packed 20-byte e820 entries end at 0xcd0");
_Static_assert(BP_EFI_INFO + 0x20 == 0x1e0, "bootparam.h: alt_mem_k follows efi_info");

/* struct efi_info, relative to BP_EFI_INFO: eight u32 */
#define EI_LOADER_SIGNATURE 0x00 /* "EL64" for a 64-bit EFI loader */
#define EI_SYSTAB 0x04
#define EI_MEMDESC_SIZE 0x08
#define EI_MEMDESC_VERSION 0x0c
#define EI_MEMMAP 0x10
#define EI_MEMMAP_SIZE 0x14
#define EI_SYSTAB_HI 0x18
#define EI_MEMMAP_HI 0x1c
#define EFI_LOADER_SIGNATURE_64 "EL64"

/* struct screen_info, relative to BP_SCREEN_INFO (screen_info.h) */
#define SI_ORIG_VIDEO_ISVGA 0x0f /* u8: VIDEO_TYPE_* */
#define SI_LFB_WIDTH 0x12        /* u16 */
#define SI_LFB_HEIGHT 0x14       /* u16 */
#define SI_LFB_DEPTH 0x16        /* u16, bits per pixel */
#define SI_LFB_BASE 0x18         /* u32, bits 0-31 */
#define SI_LFB_SIZE 0x1c         /* u32, bytes */
#define SI_LFB_LINELENGTH 0x24   /* u16, bytes per scan line */
#define SI_RED_SIZE 0x26         /* then red_pos, green_size, green_pos, blue_size, */
#define SI_RED_POS 0x27          /* blue_pos, rsvd_size, rsvd_pos: one u8 each */
#define SI_GREEN_SIZE 0x28
#define SI_GREEN_POS 0x29
#define SI_BLUE_SIZE 0x2a
#define SI_BLUE_POS 0x2b
#define SI_RSVD_SIZE 0x2c
#define SI_RSVD_POS 0x2d
#define SI_CAPABILITIES 0x36     /* u32 */
#define SI_EXT_LFB_BASE 0x3a     /* u32, bits 32-63 of lfb_base */
#define SI_SIZE 0x40

#define VIDEO_TYPE_EFI 0x70
#define VIDEO_CAPABILITY_SKIP_QUIRKS (1u << 0)
#define VIDEO_CAPABILITY_64BIT_BASE (1u << 1)

_Static_assert(SI_EXT_LFB_BASE + 4 <= SI_SIZE, "screen_info.h: ext_lfb_base inside the block");

/* ---- struct setup_header: offsets in the image file, which are also its
 * offsets in boot_params (the header sits at 0x1f1 in both) ---- */
#define SH_SETUP_SECTS 0x1f1      /* u8; 0 means 4 */
#define SH_SYSSIZE 0x1f4          /* u32: protected-mode code in 16-byte units */
#define SH_BOOT_FLAG 0x1fe        /* u16: 0xAA55 */
#define SH_JUMP 0x200             /* u16: short jump; its second byte sizes the header */
#define SH_HEADER 0x202           /* u32: "HdrS" */
#define SH_VERSION 0x206          /* u16: protocol, major << 8 | minor */
#define SH_KERNEL_VERSION 0x20e   /* u16: version string at 0x200 + this */
#define SH_TYPE_OF_LOADER 0x210   /* u8 */
#define SH_LOADFLAGS 0x211        /* u8 */
#define SH_CODE32_START 0x214     /* u32 */
#define SH_RAMDISK_IMAGE 0x218    /* u32 */
#define SH_RAMDISK_SIZE 0x21c     /* u32 */
#define SH_HEAP_END_PTR 0x224     /* u16 */
#define SH_CMD_LINE_PTR 0x228     /* u32 */
#define SH_INITRD_ADDR_MAX 0x22c  /* u32: highest byte an initrd may occupy */
#define SH_KERNEL_ALIGNMENT 0x230 /* u32 */
#define SH_RELOCATABLE 0x234      /* u8 */
#define SH_MIN_ALIGNMENT 0x235    /* u8, log2 */
#define SH_XLOADFLAGS 0x236       /* u16, protocol 2.12+ */
#define SH_CMDLINE_SIZE 0x238     /* u32: longest command line, NUL excluded */
#define SH_PREF_ADDRESS 0x258     /* u64 */
#define SH_INIT_SIZE 0x260        /* u32 */
#define SH_HANDOVER_OFFSET 0x264  /* u32; its end is the end of a 2.11+ header */
#define SH_END_MIN 0x268          /* every field above lies before this */

_Static_assert(SH_SETUP_SECTS == BP_HDR, "the setup header starts with setup_sects");
_Static_assert(SH_END_MIN <= BP_HDR_SLOT_END, "a minimal header fits the boot_params slot");

#define BOOT_FLAG_MAGIC 0xaa55
#define HDRS_MAGIC "HdrS"
#define TYPE_OF_LOADER_UNDEFINED 0xff

/* loadflags */
#define LOADED_HIGH (1u << 0)
#define KASLR_FLAG (1u << 1) /* the kernel's own, never touched */
#define QUIET_FLAG (1u << 5)
#define KEEP_SEGMENTS (1u << 6)
#define CAN_USE_HEAP (1u << 7)

/* xloadflags */
#define XLF_KERNEL_64 (1u << 0)
#define XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)

/* Protocol versions that matter here. */
#define BOOT_PROTO_XLOADFLAGS 0x020c /* 2.12: xloadflags, the 64-bit entry flag */
#define BOOT_PROTO_RSDP 0x020e       /* 2.14: acpi_rsdp_addr */

/* ---- e820 types (arch/x86/include/asm/e820/types.h values, which are ABI
 * in boot_e820_entry) ---- */
#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ACPI 3
#define E820_NVS 4
#define E820_UNUSABLE 5
#define E820_PMEM 7

/* ---- EFI memory types (UEFI 2.10, 7.2, EFI_MEMORY_TYPE). Our own names:
 * GNU-EFI's are spelled differently and both may meet in one file. ---- */
#define EFI_MT_RESERVED 0
#define EFI_MT_LOADER_CODE 1
#define EFI_MT_LOADER_DATA 2
#define EFI_MT_BOOT_SERVICES_CODE 3
#define EFI_MT_BOOT_SERVICES_DATA 4
#define EFI_MT_RUNTIME_SERVICES_CODE 5
#define EFI_MT_RUNTIME_SERVICES_DATA 6
#define EFI_MT_CONVENTIONAL 7
#define EFI_MT_UNUSABLE 8
#define EFI_MT_ACPI_RECLAIM 9
#define EFI_MT_ACPI_NVS 10
#define EFI_MT_MMIO 11
#define EFI_MT_MMIO_PORT_SPACE 12
#define EFI_MT_PAL_CODE 13
#define EFI_MT_PERSISTENT 14

#define EFI_PAGE_SHIFT 12 /* NumberOfPages counts 4 KiB pages whatever the CPU's */

#endif
