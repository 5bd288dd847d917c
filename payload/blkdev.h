/* A block device: what GPT, FAT and the payload sources read from. storvsc
 * LUNs implement it (zero copy into guest memory when dst is guest memory),
 * and so do tests (an image in memory) and partition views. */
#ifndef PAYLOAD_BLKDEV_H
#define PAYLOAD_BLKDEV_H

#include <errno.h>
#include <stdint.h>

struct blkdev {
	char name[32];       /* for messages: "scsi:0", "scsi:0 part 1" */
	uint32_t block_size; /* bytes: 512 or 4096 */
	uint64_t blocks;     /* capacity in blocks */
	/* Read count blocks starting at lba into dst. count >= 1, lba + count
	 * <= blocks (the caller checks, the implementation checks again).
	 * Any size: implementations split as they need. 0 or -errno, with the
	 * error already logged as a sentence naming the device and the LBA. */
	int (*read)(struct blkdev *d, uint64_t lba, uint64_t count, void *dst);
	void *ctx;
	/* Optional: told the bytes of each piece of a read as it lands (a
	 * progress bar's feed). Set by whoever loads; implementations that
	 * split reads call it, others need not. */
	void (*progress)(void *ctx, uint64_t bytes);
	void *progress_ctx;
};

static inline int blkdev_read(struct blkdev *d, uint64_t lba, uint64_t count, void *dst)
{
	if (count == 0 || lba >= d->blocks || count > d->blocks - lba)
		return -ERANGE; /* checked here so every implementation gets it */
	return d->read(d, lba, count, dst);
}

/* A window [first, first + blocks) of another device (a partition). */
struct blkdev_part {
	struct blkdev dev;
	struct blkdev *parent;
	uint64_t first;
};
void blkdev_part_init(struct blkdev_part *p, struct blkdev *parent, uint64_t first,
		      uint64_t blocks, const char *name);

#endif
