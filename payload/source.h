/* Where a payload (kernel, initrd) comes from on a disk: the text form a
 * user writes, parsed without any I/O.
 *   scsi:<lun>/<path>                a file on the first FAT volume found
 *                                    (the caller tries GPT partitions, the
 *                                    ESP first, or the whole disk without GPT)
 *   scsi:<lun>:<partition>/<path>    a file on GPT partition <partition>
 *                                    (1-based)
 *   scsi:<lun>@<lba>+<count>         <count> raw blocks from <lba>
 * each optionally followed by #sha256=<64 hex digits>, the digest the
 * loaded bytes must have. Numbers are decimal. */
#ifndef PAYLOAD_SOURCE_H
#define PAYLOAD_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/sha256.h"

#define SOURCE_PATH_MAX 256  /* bytes of path, with the NUL */
#define SOURCE_LUN_MAX 255
#define SOURCE_PART_MAX 8192 /* GPT_MAX_ENTRY_ARRAY / 128 entries */
#define SOURCE_TEXT_MAX 400  /* source_format's longest output, with the NUL */

enum source_kind { SOURCE_FILE, SOURCE_RAW };

struct disk_source {
	enum source_kind kind;
	unsigned lun;               /* 0..SOURCE_LUN_MAX */
	unsigned partition;         /* FILE: 1-based GPT partition, 0 = any FAT volume */
	char path[SOURCE_PATH_MAX]; /* FILE: "/boot/vmlinuz" */
	uint64_t lba, count;        /* RAW: count >= 1 blocks from lba */
	bool has_digest;
	uint8_t digest[SHA256_DIGEST_LEN];
};

/* Parses spec into *out. 0, or -EINVAL with one log line saying what is
 * wrong and what the forms are. */
int source_parse(const char *spec, struct disk_source *out);
/* The same without logging: 0, or -EINVAL with *why a phrase ("the path
 * names no file"), for callers that word the error themselves (the boot
 * configuration names the file and line). */
int source_parse_quiet(const char *spec, struct disk_source *out, const char **why);

/* The text form of s (what source_parse reads back), for messages. */
void source_format(const struct disk_source *s, char *out, size_t len);

#endif
