/* GUID Partition Table reader (UEFI spec 2.10, chapter 5). Read-only; every
 * field is untrusted disk data and is range-checked before use. */
#ifndef PAYLOAD_GPT_H
#define PAYLOAD_GPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/guid.h"
#include "blkdev.h"

/* Scratch gpt_read needs: one block for the MBR and each header and one
 * entry-array chunk of at least max(block, entry) bytes. Block and entry
 * sizes are both capped at 4096, so 4 KiB always works; the entry array is
 * read in chunks as large as the scratch allows, so GPT_SCRATCH_SIZE reads
 * a standard 128-entry table (16 KiB) in one request. Any alignment. */
#define GPT_SCRATCH_MIN 4096u
#define GPT_SCRATCH_SIZE (16384u + 4096u)

/* Largest entry array accepted: the spec's minimum is 16 KiB, real tables
 * are 16 KiB, and a hostile header must not make us read a whole disk. */
#define GPT_MAX_ENTRY_ARRAY (1024u * 1024u)
#define GPT_MAX_ENTRY_SIZE 4096u

#define GPT_NAME_MAX 36 /* UTF-16 code units in an entry's name */

struct gpt_part {
	unsigned index; /* 1-based position in the entry array */
	uint64_t first_lba, last_lba; /* inclusive */
	struct guid type, unique;
	char name[GPT_NAME_MAX + 1]; /* UTF-16LE name as ASCII, '?' for others */
};

extern const struct guid gpt_type_esp;           /* EFI system partition */
extern const struct guid gpt_type_ms_basic_data; /* Microsoft basic data */
extern const struct guid gpt_type_linux_fs;      /* Linux filesystem data */

/* Reads the GPT of d: the protective MBR, the primary header at LBA 1 and
 * its entry array, or (when either is bad, with a log line saying why) the
 * backup header at the last LBA and its array. Fills parts[0..*count) with
 * the used entries (type GUID not zero) in table order.
 * Returns 0; -ENOENT when d has no protective MBR (not a GPT disk: the
 * caller may use the whole disk); -EINVAL when the GPT is corrupt (both
 * headers or both arrays bad, partitions outside the usable range or
 * overlapping); -ENOSPC when scratch_len < GPT_SCRATCH_MIN or the table
 * has more used entries than max; or a read error. Every failure is logged
 * as one sentence naming the device. */
int gpt_read(struct blkdev *d, struct gpt_part *parts, unsigned max, unsigned *count,
	     void *scratch, size_t scratch_len);

bool gpt_is_esp(const struct gpt_part *p);

#endif
