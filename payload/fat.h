/* Read-only FAT12/16/32 (Microsoft "FAT: General Overview of On-Disk
 * Format" 1.03) on a block device, usually a partition view. It finds a
 * file by path and reads it whole into a caller buffer. No allocation: the
 * caller passes the scratch the FAT cache and directory reads use. The
 * volume is untrusted: every BPB field, cluster number, chain and
 * directory entry is range-checked before use. */
#ifndef PAYLOAD_FAT_H
#define PAYLOAD_FAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blkdev.h"

#define FAT_NAME_MAX 255 /* characters in a long name */

/* The FAT is cached in slots of FAT_CACHE_SLOT bytes (one read each). */
#define FAT_CACHE_SLOT 4096u
#define FAT_CACHE_SLOTS_MAX 16u
/* Scratch fat_mount needs: one FAT cache slot plus one sector (directory
 * reads, the boot sector and the last partial block of a file). Sectors
 * are at most 4096 bytes, so 8 KiB always works. FAT_SCRATCH_SIZE gives
 * eight slots: 32 KiB of FAT, enough to map a 32 MiB file with 4 KiB
 * clusters on FAT32 without reading a FAT sector twice. More than
 * FAT_CACHE_SLOTS_MAX slots are not used. Page-aligned scratch keeps every
 * buffer in it page-aligned. */
#define FAT_SCRATCH_MIN (FAT_CACHE_SLOT + 4096u)
#define FAT_SCRATCH_SIZE (8u * FAT_CACHE_SLOT + 4096u)

/* File data is read in requests of at most this many bytes by default. */
#define FAT_DEFAULT_MAX_IO (8u << 20)

/* Directories larger than this are corrupt (the spec's 65536 entries). */
#define FAT_DIR_MAX_BYTES (65536u * 32u)

enum fat_type { FAT_12 = 12, FAT_16 = 16, FAT_32 = 32 };

struct fat_vol {
	struct blkdev *dev;
	enum fat_type type;
	uint32_t sector_size;   /* equal to dev->block_size */
	uint32_t sec_per_clus;
	uint32_t cluster_bytes;
	uint32_t fat_start;     /* first sector of the FAT in use */
	uint32_t fat_sectors;   /* sectors in one FAT */
	uint32_t root_start;    /* FAT12/16: the fixed root directory */
	uint32_t root_sectors;
	uint32_t root_entries;
	uint32_t root_cluster;  /* FAT32: first cluster of the root */
	uint32_t data_start;    /* first sector of cluster 2 */
	uint32_t clusters;      /* data clusters: valid numbers are 2..clusters+1 */
	uint64_t max_io;        /* largest file-data read, a multiple of sector_size */
	uint8_t *cache;         /* cache_slots * FAT_CACHE_SLOT bytes of scratch */
	uint8_t *sector_buf;    /* sector_size bytes of scratch */
	unsigned cache_slots, cache_next;
	uint32_t cache_tag[FAT_CACHE_SLOTS_MAX]; /* slot group + 1; 0 = empty */
};

struct fat_file {
	char name[FAT_NAME_MAX + 1]; /* long name ('?' for non-ASCII), else the 8.3 name */
	char short_name[13];         /* "NAME.EXT" */
	uint32_t first_cluster;      /* 0: an empty file or the FAT12/16 root */
	uint32_t size;               /* bytes; 0 for directories */
	uint8_t attr;                /* FAT attribute bits */
	bool is_dir;
};

/* Checks the boot sector of dev and sets v up. max_io: the largest read
 * fat_read issues for file data (0 = FAT_DEFAULT_MAX_IO; rounded down to
 * whole sectors; at least one sector). Returns 0; -ENOENT when dev does
 * not hold a FAT volume (no boot signature: the caller may try another
 * partition); -EINVAL when the BPB is invalid; -ENOSPC when scratch_len
 * is below FAT_SCRATCH_MIN; or a read error. Each failure is logged. */
int fat_mount(struct fat_vol *v, struct blkdev *dev, void *scratch, size_t scratch_len,
	      uint64_t max_io);

/* Finds path ('/'-separated from the root, ASCII, case-insensitive, long
 * or 8.3 names; "/" is the root). Returns 0; -ENOENT (no such entry),
 * -ENOTDIR (a component before the last is a file), -EINVAL (bad path or
 * a corrupt directory or entry), or a read error. Each failure is logged. */
int fat_open(struct fat_vol *v, const char *path, struct fat_file *f);

/* The size of the file at path: fat_open's results, and -EISDIR for a
 * directory. */
int fat_stat(struct fat_vol *v, const char *path, uint64_t *size);

/* Reads the whole of f into dst. Runs of consecutive clusters become one
 * read straight into dst (split at v->max_io); only a last partial sector
 * passes through the scratch. Writes exactly f->size bytes, never past.
 * Returns 0 with *got = f->size; -EFBIG when f->size > dst_len; -EISDIR;
 * -EINVAL when the chain does not hold exactly ceil(size / cluster)
 * clusters in range; or a read error. Each failure is logged. */
int fat_read(struct fat_vol *v, const struct fat_file *f, void *dst, uint64_t dst_len,
	     uint64_t *got);

/* Calls fn for each entry of the directory at path (not ".", "..",
 * deleted entries or the volume label). fn returns 0 to go on; anything
 * else stops the listing and is returned. fn must not call into v: the
 * listing is still reading through v's scratch. */
typedef int (*fat_list_fn)(const struct fat_file *entry, void *ctx);
int fat_list(struct fat_vol *v, const char *path, fat_list_fn fn, void *ctx);

#endif
