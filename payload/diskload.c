/* The disk loader. Everything it reads is checked by the layers below (GPT,
 * FAT, storvsc); here: which partition, and that the bytes are the ones
 * the user asked for. */
#include "diskload.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../lib/log.h"
#include "../lib/sha256.h"

static const char *kind(const struct gpt_part *p)
{
	return gpt_is_esp(p) ? "EFI system" : "data";
}

/* Mount the FAT on one partition and look for the file there. */
static int try_partition(struct disk_file *df, const struct gpt_part *p, bool quiet_miss)
{
	char name[40];
	int rc;

	snprintf(name, sizeof(name), "%s part %u", df->dev->name, p->index);
	blkdev_part_init(&df->part, df->dev, p->first_lba, p->last_lba - p->first_lba + 1, name);
	rc = fat_mount(&df->vol, &df->part.dev, df->scratch, sizeof(df->scratch), FAT_DEFAULT_MAX_IO);
	if (rc)
		return rc;
	rc = fat_open(&df->vol, df->src.path, &df->file);
	if (rc == -ENOENT && quiet_miss)
		return rc;
	if (rc)
		return rc;
	snprintf(df->where, sizeof(df->where), "%s partition %u (%s)", df->dev->name, p->index,
		 kind(p));
	return 0;
}

static int find_file(struct disk_file *df)
{
	unsigned n = 0;
	int rc;

	rc = gpt_read(df->dev, df->parts, DISKLOAD_MAX_PARTS, &n, df->scratch, sizeof(df->scratch));
	if (rc == -ENOENT) {
		/* No GPT: a FAT on the whole disk ("superfloppy"). */
		struct gpt_part whole = { .index = 0, .first_lba = 0, .last_lba = df->dev->blocks - 1 };

		if (df->src.partition) {
			log_err("%s has no GPT, so it has no partition %u", df->dev->name,
				df->src.partition);
			return -ENOENT;
		}
		rc = try_partition(df, &whole, false);
		if (rc == 0)
			snprintf(df->where, sizeof(df->where), "%s (whole disk)", df->dev->name);
		return rc;
	}
	if (rc)
		return rc; /* a damaged GPT: gpt_read said why; never guess */
	if (df->src.partition) {
		for (unsigned i = 0; i < n; i++)
			if (df->parts[i].index == df->src.partition)
				return try_partition(df, &df->parts[i], false);
		log_err("%s has no partition %u (%u partitions in its GPT)", df->dev->name,
			df->src.partition, n);
		return -ENOENT;
	}
	/* Any FAT partition holding the path: the EFI system partition first,
	 * then the others in table order. */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < n; i++) {
			if (gpt_is_esp(&df->parts[i]) != (pass == 0))
				continue;
			rc = try_partition(df, &df->parts[i], true);
			if (rc == 0)
				return 0;
		}
	}
	log_err("no FAT partition on %s holds %s (%u partitions looked at)", df->dev->name,
		df->src.path, n);
	return -ENOENT;
}

int disk_file_open(struct disk_file *df, const char *spec, diskload_lun_fn lun, void *ctx)
{
	int rc;

	memset(df, 0, sizeof(*df) - sizeof(df->scratch));
	rc = source_parse(spec, &df->src);
	if (rc)
		return rc;
	df->dev = lun(ctx, df->src.lun);
	if (!df->dev) {
		log_err("there is no SCSI LUN %u (spec '%s')", df->src.lun, spec);
		return -ENODEV;
	}
	if (df->src.kind == SOURCE_RAW) {
		if (df->src.lba >= df->dev->blocks || df->src.count > df->dev->blocks - df->src.lba) {
			log_err("%s: blocks %llu+%llu lie beyond its %llu blocks", df->dev->name,
				(unsigned long long)df->src.lba, (unsigned long long)df->src.count,
				(unsigned long long)df->dev->blocks);
			return -ERANGE;
		}
		df->size = df->src.count * df->dev->block_size;
		snprintf(df->where, sizeof(df->where), "%s blocks %llu+%llu", df->dev->name,
			 (unsigned long long)df->src.lba, (unsigned long long)df->src.count);
		return 0;
	}
	rc = find_file(df);
	if (rc)
		return rc;
	if (df->file.is_dir) {
		log_err("%s on %s is a directory", df->src.path, df->where);
		return -EISDIR;
	}
	df->size = df->file.size;
	return 0;
}

int disk_file_read(struct disk_file *df, void *dst, uint64_t dst_len, uint8_t digest[32])
{
	uint8_t d[SHA256_DIGEST_LEN];
	char want[65], got[65];
	uint64_t n = 0;
	int rc;

	if (dst_len < df->size) {
		log_err("%s on %s is %llu bytes; the destination holds %llu", df->src.path, df->where,
			(unsigned long long)df->size, (unsigned long long)dst_len);
		return -EFBIG;
	}
	if (df->src.kind == SOURCE_RAW) {
		rc = blkdev_read(df->dev, df->src.lba, df->src.count, dst);
		n = df->size;
	} else {
		rc = fat_read(&df->vol, &df->file, dst, dst_len, &n);
	}
	if (rc)
		return rc;
	if (n != df->size) {
		log_err("%s on %s: read %llu bytes, expected %llu", df->src.path, df->where,
			(unsigned long long)n, (unsigned long long)df->size);
		return -EIO;
	}
	if (!digest && !df->src.has_digest)
		return 0; /* nobody asked: hashing costs more than the load itself */
	sha256(dst, n, d);
	if (digest)
		memcpy(digest, d, sizeof(d));
	if (df->src.has_digest && memcmp(d, df->src.digest, sizeof(d)) != 0) {
		sha256_hex(df->src.digest, want);
		sha256_hex(d, got);
		log_err("%s on %s: SHA-256 is %s, expected %s", df->src.kind == SOURCE_RAW ? "the blocks"
			: df->src.path, df->where, got, want);
		return -EBADMSG;
	}
	return 0;
}
