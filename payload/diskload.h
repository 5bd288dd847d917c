/* Loading a payload from a disk: a source spec (payload/source.h) resolved
 * to a LUN, a GPT partition (or the whole disk), a FAT file (or raw blocks),
 * read straight into the caller's destination and hashed with SHA-256. */
#ifndef PAYLOAD_DISKLOAD_H
#define PAYLOAD_DISKLOAD_H

#include "blkdev.h"
#include "fat.h"
#include "gpt.h"
#include "source.h"

#define DISKLOAD_MAX_PARTS 128u
#define DISKLOAD_SCRATCH (FAT_SCRATCH_SIZE > GPT_SCRATCH_SIZE ? FAT_SCRATCH_SIZE : GPT_SCRATCH_SIZE)

/* How the loader finds a LUN's block device (e.g. storvsc_lun). */
typedef struct blkdev *(*diskload_lun_fn)(void *ctx, unsigned lun);

struct disk_file {
	struct disk_source src;
	struct blkdev *dev;      /* the LUN */
	struct blkdev_part part; /* the partition holding the file */
	struct fat_vol vol;
	struct fat_file file;
	uint64_t size;           /* bytes the read will produce */
	char where[80];          /* "scsi:0 partition 1 (EFI system)" for messages */
	struct gpt_part parts[DISKLOAD_MAX_PARTS];
	uint8_t scratch[DISKLOAD_SCRATCH] __attribute__((aligned(64)));
};

/* Resolve spec: find the LUN, the partition and the file; df->size tells
 * how large the destination must be. 0 or -errno (logged as a sentence). */
int disk_file_open(struct disk_file *df, const char *spec, diskload_lun_fn lun, void *ctx);
/* Read it into dst (dst_len >= df->size; guest memory for zero copy),
 * SHA-256 it into digest (if not NULL) and check the spec's expected digest
 * (if the spec has one; without either, nothing is hashed).
 * 0, or -errno; -EBADMSG for a digest mismatch. */
int disk_file_read(struct disk_file *df, void *dst, uint64_t dst_len, uint8_t digest[32]);

#endif
