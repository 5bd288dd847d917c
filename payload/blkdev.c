/* Partition views: a window on a parent block device. */
#include "blkdev.h"

#include <stdio.h>
#include <string.h>

#include "../lib/log.h"

static int part_read(struct blkdev *d, uint64_t lba, uint64_t count, void *dst)
{
	struct blkdev_part *p = d->ctx;

	/* blkdev_read checked this already; a direct call through d->read
	 * must not reach past the window either. */
	if (count == 0 || lba >= d->blocks || count > d->blocks - lba) {
		log_err("%s: read of %llu blocks at LBA %llu is outside the partition (%llu blocks)",
			d->name, (unsigned long long)count, (unsigned long long)lba,
			(unsigned long long)d->blocks);
		return -ERANGE;
	}
	return blkdev_read(p->parent, p->first + lba, count, dst);
}

void blkdev_part_init(struct blkdev_part *p, struct blkdev *parent, uint64_t first,
		      uint64_t blocks, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->parent = parent;
	p->first = first;
	p->dev.block_size = parent->block_size;
	p->dev.read = part_read;
	p->dev.ctx = p;
	if (name)
		snprintf(p->dev.name, sizeof(p->dev.name), "%s", name);
	else
		snprintf(p->dev.name, sizeof(p->dev.name), "%.26s part", parent->name);
	/* The window comes from an on-disk table the caller has validated;
	 * one that still does not fit the parent becomes an empty device, so
	 * every read fails instead of reaching other data. */
	if (first > parent->blocks || blocks > parent->blocks - first) {
		log_err("%s: partition window of %llu blocks at LBA %llu does not fit %s (%llu blocks)",
			p->dev.name, (unsigned long long)blocks, (unsigned long long)first,
			parent->name, (unsigned long long)parent->blocks);
		return;
	}
	p->dev.blocks = blocks;
}
