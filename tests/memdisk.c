#include "memdisk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int md_read(struct blkdev *d, uint64_t lba, uint64_t count, void *dst)
{
	struct memdisk *m = d->ctx;
	const uint8_t *p = dst;

	/* blkdev_read checked already; an implementation checks again, as
	 * blkdev.h asks. */
	if (count == 0 || lba >= d->blocks || count > d->blocks - lba)
		return -ERANGE;
	memcpy(dst, m->data + lba * d->block_size, count * d->block_size);
	m->reads++;
	if (m->watch && p >= m->watch && p < m->watch + m->watch_len) {
		m->watch_reads++;
		if (count > m->watch_max_blocks)
			m->watch_max_blocks = count;
	}
	return 0;
}

void memdisk_init(struct memdisk *m, void *data, size_t len, uint32_t block_size,
		  const char *name)
{
	memset(m, 0, sizeof(*m));
	m->data = data;
	m->len = len;
	m->dev.block_size = block_size;
	m->dev.blocks = len / block_size;
	m->dev.read = md_read;
	m->dev.ctx = m;
	snprintf(m->dev.name, sizeof(m->dev.name), "%s", name);
}

void memdisk_load(struct memdisk *m, const char *path, uint32_t block_size, const char *name)
{
	FILE *f = fopen(path, "rb");
	long len;
	uint8_t *data;

	CHECK_MSG(f != NULL, "cannot open %s", path);
	CHECK(fseek(f, 0, SEEK_END) == 0);
	len = ftell(f);
	CHECK(len > 0);
	rewind(f);
	data = malloc((size_t)len);
	CHECK(data != NULL);
	CHECK(fread(data, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	memdisk_init(m, data, (size_t)len, block_size, name);
	m->owned = 1;
}

void memdisk_free(struct memdisk *m)
{
	if (m->owned)
		free(m->data);
	m->data = NULL;
}

void memdisk_watch(struct memdisk *m, const void *dst, size_t len)
{
	m->watch = dst;
	m->watch_len = len;
	m->watch_reads = 0;
	m->watch_max_blocks = 0;
}
