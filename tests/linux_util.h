/* The boot-protocol tests' material (test_linux*.c): a bzImage header as
 * Linux 6.1 builds it and EFI memory maps built by hand. Fields are
 * written with the little-endian accessors below, at the offsets
 * bootparam.h gives (as numbers, not from linux_proto.h, so a wrong
 * constant there fails). */
#ifndef TEST_LINUX_UTIL_H
#define TEST_LINUX_UTIL_H

#include <stdint.h>

#include "../payload/linux.h"
#include "fixture.h"
#include "harness.h"

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

/* Little-endian fields, byte by byte. */
static inline void w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}
static inline void w32(uint8_t *p, uint32_t v)
{
	w16(p, (uint16_t)v), w16(p + 2, (uint16_t)(v >> 16));
}
static inline void w64(uint8_t *p, uint64_t v)
{
	w32(p, (uint32_t)v), w32(p + 4, (uint32_t)(v >> 32));
}
static inline uint16_t r16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t r32(const uint8_t *p) { return r16(p) | (uint32_t)r16(p + 2) << 16; }
static inline uint64_t r64(const uint8_t *p) { return r32(p) | (uint64_t)r32(p + 4) << 32; }

/* ---- a bzImage header ---- */

#define SETUP_SECTS 4
#define SETUP_BYTES ((SETUP_SECTS + 1) * 512)
#define PM_BYTES (16 * 1024)
#define IMG_BYTES (SETUP_BYTES + PM_BYTES)
#define TAIL 1472 /* bytes after the code, as a signed kernel has */

/* The image the tests change and parse; lx_make_image() resets it. */
extern uint8_t lx_img[IMG_BYTES + TAIL];
void lx_make_image(void);
/* linux_parse on all of lx_img. */
int lx_parse(struct linux_image *im);

/* ---- EFI memory maps ---- */

struct map {
	uint8_t b[8192 * 48];
	uint32_t ds;
	unsigned n;
	struct linux_efi_map m;
};

void lx_map_init(struct map *mp, uint32_t desc_size);
/* One descriptor: type, start, pages; the size grows with it. */
void lx_add(struct map *mp, uint32_t type, uint64_t start, uint64_t pages);

/* Bytes to pages. */
#define PG(bytes) ((bytes) / 4096)

/* A small OVMF-like map, deliberately out of order. */
void lx_ovmf_like(struct map *mp, uint32_t ds);
/* The e820 table that map becomes. */
extern const struct linux_e820_entry lx_ovmf_e820[10];

#endif
