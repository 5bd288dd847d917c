/* libFuzzer target: the GPT reader on a disk the input describes.
 * Input: one flags byte, then the disk image (cut to whole blocks).
 *   bit 0: 4096-byte blocks (else 512)
 *   bit 1: recompute both headers' entry-array and header CRCs first, so
 *          mutations get past the checksums to the checks behind them
 * Each used partition found is then read through a partition view. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/crc32.h"
#include "fuzz_common.h"
#include "../../payload/gpt.h"

#define MAX_DISK (1u << 20)

static uint8_t disk[MAX_DISK];
static uint8_t scratch[GPT_SCRATCH_SIZE];
static uint8_t block[4096];

static int mem_read(struct blkdev *d, uint64_t lba, uint64_t count, void *dst)
{
	if (count == 0 || lba >= d->blocks || count > d->blocks - lba)
		__builtin_trap(); /* blkdev_read must have refused this */
	memcpy(dst, disk + lba * d->block_size, count * d->block_size);
	return 0;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* What a tool that wrote these fields would have stored as CRCs. */
static void fix_crcs(const struct blkdev *d, uint64_t lba)
{
	uint8_t *h = disk + lba * d->block_size;
	uint64_t elba = get32(h + 72) | (uint64_t)get32(h + 76) << 32;
	uint64_t bytes = (uint64_t)get32(h + 80) * get32(h + 84);
	uint32_t size = get32(h + 12);

	if (elba < d->blocks && bytes <= (d->blocks - elba) * d->block_size)
		put32(h + 88, crc32(disk + elba * d->block_size, (size_t)bytes));
	put32(h + 16, 0);
	put32(h + 16, crc32(h, size < d->block_size ? size : d->block_size));
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	struct blkdev d = { .name = "fuzz", .read = mem_read };
	struct gpt_part parts[8];
	unsigned count;
	size_t len;

	if (n < 1)
		return 0;
	d.block_size = in[0] & 1 ? 4096 : 512;
	len = n - 1 > MAX_DISK ? MAX_DISK : n - 1;
	d.blocks = len / d.block_size;
	memcpy(disk, in + 1, d.blocks * d.block_size);
	if ((in[0] & 2) && d.blocks >= 4) {
		fix_crcs(&d, 1);
		fix_crcs(&d, d.blocks - 1);
	}
	/* The smallest scratch reads the array in chunks, the usual one whole. */
	(void)gpt_read(&d, parts, 8, &count, scratch, GPT_SCRATCH_MIN);
	if (gpt_read(&d, parts, 8, &count, scratch, sizeof(scratch)) != 0)
		return 0;
	if (count > 8)
		__builtin_trap();
	for (unsigned i = 0; i < count; i++) {
		struct blkdev_part p;

		if (parts[i].first_lba > parts[i].last_lba || parts[i].last_lba >= d.blocks)
			__builtin_trap(); /* gpt_read promised both */
		blkdev_part_init(&p, &d, parts[i].first_lba,
				 parts[i].last_lba - parts[i].first_lba + 1, NULL);
		if (blkdev_read(&p.dev, p.dev.blocks - 1, 1, block) != 0)
			__builtin_trap();
		(void)gpt_is_esp(&parts[i]);
	}
	return 0;
}
