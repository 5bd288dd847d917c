/* Identity page tables for the jump to Linux. The firmware's tables cannot
 * be trusted for that: OVMF maps free (conventional) memory non-executable
 * (its NX memory protection policy), and the kernel is copied into exactly
 * such memory. So hvboot builds its own: 2 MiB pages, read/write and
 * executable, identity-mapping [0, limit), and switches to them just before
 * the jump. Portable: the tables are built in a buffer whose physical
 * address the caller gives (the same under UEFI's identity mapping). */
#ifndef BOOT_PAGETABLE_H
#define BOOT_PAGETABLE_H

#include <stddef.h>
#include <stdint.h>

#define PT_MAX_GIB 512u /* one PML4 entry: a PDPT covers 512 GiB */

/* Pages needed to map [0, limit): PML4 + PDPT + one PD per GiB. */
size_t pagetable_pages(uint64_t limit);
/* Builds the tables in buf (pagetable_pages(limit) zeroed 4 KiB pages at
 * physical address phys). Returns the CR3 value, or 0 when limit is 0 or
 * above PT_MAX_GIB GiB. */
uint64_t pagetable_build(void *buf, uint64_t phys, uint64_t limit);

#endif
