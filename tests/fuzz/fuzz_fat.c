/* libFuzzer target: the FAT reader on a disk the input describes.
 * A FAT32 volume is at least 32 MiB, so the disk is sparse: one flags byte,
 * then records of [u32 LE block number][one block]; blocks no record names
 * read as zeros (the first record for a block wins).
 *   flags bit 0: 4096-byte blocks (else 512)
 *   flags bit 1: 4 KiB reads of file data (else the default cap)
 * The target mounts the volume, lists the root, opens and reads every
 * entry it lists (a file into a bounded buffer, a directory listed in
 * turn), and opens a few fixed paths. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "../../payload/fat.h"

#define DISK_BLOCKS (1u << 17)
#define MAX_RECORDS 1024
#define NAMES 8
#define DST_LEN (256u * 1024u)

static struct {
	uint32_t lba;
	const uint8_t *data;
} records[MAX_RECORDS];
static unsigned nrecords;
static uint8_t scratch[FAT_SCRATCH_SIZE];
/* Exactly DST_LEN: a write past it lands in ASan's redzone. */
static uint8_t dst[DST_LEN];

static int sparse_read(struct blkdev *d, uint64_t lba, uint64_t count, void *out)
{
	uint8_t *o = out;

	if (count == 0 || lba >= d->blocks || count > d->blocks - lba)
		__builtin_trap(); /* blkdev_read must have refused this */
	for (uint64_t b = 0; b < count; b++, o += d->block_size) {
		unsigned i;

		for (i = 0; i < nrecords && records[i].lba != lba + b; i++)
			;
		if (i < nrecords)
			memcpy(o, records[i].data, d->block_size);
		else
			memset(o, 0, d->block_size);
	}
	return 0;
}

struct names {
	char name[NAMES][FAT_NAME_MAX + 1];
	unsigned n;
};

static int collect(const struct fat_file *e, void *ctx)
{
	struct names *l = ctx;

	if (strlen(e->name) > FAT_NAME_MAX)
		__builtin_trap();
	memcpy(l->name[l->n], e->name, strlen(e->name) + 1);
	return ++l->n == NAMES; /* stop when full */
}

static void load(struct fat_vol *v, const char *path)
{
	struct fat_file f;
	uint64_t got = 0, size;

	if (fat_open(v, path, &f) != 0 || f.is_dir)
		return;
	if (fat_stat(v, path, &size) != 0 || size != f.size)
		__builtin_trap();
	if (fat_read(v, &f, dst, DST_LEN, &got) == 0 && got != f.size)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	static struct names root, sub;
	struct blkdev d = { .name = "fuzz", .read = sparse_read, .blocks = DISK_BLOCKS };
	struct fat_vol v;
	size_t rec;

	if (n < 1)
		return 0;
	d.block_size = in[0] & 1 ? 4096 : 512;
	rec = 4 + d.block_size;
	nrecords = 0;
	for (size_t off = 1; off + rec <= n && nrecords < MAX_RECORDS; off += rec) {
		records[nrecords].lba = (uint32_t)in[off] | (uint32_t)in[off + 1] << 8 |
					(uint32_t)in[off + 2] << 16 | (uint32_t)in[off + 3] << 24;
		records[nrecords++].data = in + off + 4;
	}
	if (fat_mount(&v, &d, scratch, sizeof(scratch), in[0] & 2 ? 4096 : 0) != 0)
		return 0;
	root.n = 0;
	if (fat_list(&v, "/", collect, &root) < 0)
		return 0;
	for (unsigned i = 0; i < root.n; i++) {
		char path[2 * FAT_NAME_MAX + 3];

		snprintf(path, sizeof(path), "/%s", root.name[i]);
		load(&v, path);
		sub.n = 0;
		if (fat_list(&v, path, collect, &sub) < 0)
			continue;
		for (unsigned j = 0; j < sub.n && j < 4; j++) {
			snprintf(path, sizeof(path), "/%s/%s", root.name[i], sub.name[j]);
			load(&v, path);
		}
	}
	load(&v, "/EFI/BOOT/BOOTX64.EFI");
	load(&v, "/boot/vmlinuz");
	load(&v, "/a/b/c/d");
	return 0;
}
