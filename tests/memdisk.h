/* An in-memory block device for the payload tests, with counters that let
 * a test see how the reader used it (request sizes, where data went). */
#ifndef TEST_MEMDISK_H
#define TEST_MEMDISK_H

#include <stddef.h>
#include <stdint.h>

#include "../payload/blkdev.h"

struct memdisk {
	struct blkdev dev;
	uint8_t *data;       /* dev.blocks * dev.block_size bytes */
	size_t len;
	int owned;           /* data was malloc'd by memdisk_load */
	unsigned reads;      /* requests served */
	/* Requests whose destination lies in [watch, watch + watch_len):
	 * how many, and the largest in blocks. */
	const uint8_t *watch;
	size_t watch_len;
	unsigned watch_reads;
	uint64_t watch_max_blocks;
};

/* A device over len bytes at data (len rounded down to whole blocks). */
void memdisk_init(struct memdisk *m, void *data, size_t len, uint32_t block_size,
		  const char *name);
/* A device over a copy of the file at path; CHECKs that it loads. */
void memdisk_load(struct memdisk *m, const char *path, uint32_t block_size, const char *name);
void memdisk_free(struct memdisk *m);
void memdisk_watch(struct memdisk *m, const void *dst, size_t len);

#endif
