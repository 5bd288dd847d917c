/* GPT reader. Layout from the UEFI spec 2.10, 5.2 (MBR) and 5.3 (GPT).
 * The disk is untrusted: each field is checked against the disk and the
 * other fields before it is used, and anything out of range is rejected
 * with one log line naming the device, the structure and the value. */
#include "gpt.h"

#include <errno.h>
#include <string.h>

#include "../lib/crc32.h"
#include "../lib/log.h"

const struct guid gpt_type_esp =
	GUID_INIT(0xc12a7328, 0xf81f, 0x11d2, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b);
const struct guid gpt_type_ms_basic_data =
	GUID_INIT(0xebd0a0a2, 0xb9e5, 0x4433, 0x87, 0xc0, 0x68, 0xb6, 0xb7, 0x26, 0x99, 0xc7);
const struct guid gpt_type_linux_fs =
	GUID_INIT(0x0fc63daf, 0x8483, 0x4772, 0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4);

/* Header fields (UEFI 5.3.2, table 5.5): byte offsets. */
enum {
	H_SIGNATURE = 0,
	H_REVISION = 8,
	H_SIZE = 12,
	H_CRC = 16,
	H_MY_LBA = 24,
	H_ALT_LBA = 32,
	H_FIRST_USABLE = 40,
	H_LAST_USABLE = 48,
	H_ENTRIES_LBA = 72,
	H_NUM_ENTRIES = 80,
	H_ENTRY_SIZE = 84,
	H_ENTRIES_CRC = 88,
	H_MIN_SIZE = 92,
};

/* Entry fields (table 5.6). */
enum { E_TYPE = 0, E_UNIQUE = 16, E_FIRST = 32, E_LAST = 40, E_NAME = 56 };

/* MBR (5.2.1): the partition records and the signature. */
enum { MBR_RECORDS = 446, MBR_RECORD_SIZE = 16, MBR_OS_TYPE = 4, MBR_SIG = 510 };
#define MBR_TYPE_GPT_PROTECTIVE 0xee

/* The checked header fields gpt_read uses. */
struct hdr {
	const char *which; /* "primary" or "backup", for messages */
	uint64_t lba;
	uint64_t first_usable, last_usable, entries_lba;
	uint32_t num_entries, entry_size, entries_crc;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static bool is_pow2(uint64_t x) { return x && !(x & (x - 1)); }

static unsigned long long ull(uint64_t v) { return (unsigned long long)v; }

/* 0 when block 0 is a protective (or hybrid) MBR: signature 0x55AA and a
 * record of type 0xEE. */
static int check_mbr(struct blkdev *d, uint8_t *buf)
{
	int rc = blkdev_read(d, 0, 1, buf);

	if (rc)
		return rc;
	if (buf[MBR_SIG] != 0x55 || buf[MBR_SIG + 1] != 0xaa) {
		log_info("%s: no GPT: the MBR signature is 0x%02x%02x, not 0x55AA", d->name,
			 buf[MBR_SIG], buf[MBR_SIG + 1]);
		return -ENOENT;
	}
	for (int i = 0; i < 4; i++)
		if (buf[MBR_RECORDS + i * MBR_RECORD_SIZE + MBR_OS_TYPE] == MBR_TYPE_GPT_PROTECTIVE)
			return 0;
	log_info("%s: no GPT: the MBR has no partition of type 0xEE", d->name);
	return -ENOENT;
}

/* Reads and checks the header at h->lba; buf holds one block. */
static int read_header(struct blkdev *d, struct hdr *h, uint8_t *buf)
{
	uint64_t last = d->blocks - 1, array_bytes, array_blocks;
	uint32_t rev, size, crc, want;
	int rc = blkdev_read(d, h->lba, 1, buf);

	if (rc)
		return rc;
	if (memcmp(buf + H_SIGNATURE, "EFI PART", 8) != 0) {
		log_err("%s: %s GPT header at LBA %llu: no \"EFI PART\" signature", d->name,
			h->which, ull(h->lba));
		return -EINVAL;
	}
	rev = le32(buf + H_REVISION);
	if (rev >> 16 != 1) {
		log_err("%s: %s GPT header at LBA %llu: revision 0x%08x is not 1.x", d->name,
			h->which, ull(h->lba), rev);
		return -EINVAL;
	}
	size = le32(buf + H_SIZE);
	if (size < H_MIN_SIZE || size > d->block_size) {
		log_err("%s: %s GPT header at LBA %llu: header size %u is outside %u..%u", d->name,
			h->which, ull(h->lba), size, H_MIN_SIZE, d->block_size);
		return -EINVAL;
	}
	/* The CRC covers the header with its own field taken as zero. */
	want = le32(buf + H_CRC);
	memset(buf + H_CRC, 0, 4);
	crc = crc32(buf, size);
	if (crc != want) {
		log_err("%s: %s GPT header at LBA %llu: header CRC32 is 0x%08x, computed 0x%08x",
			d->name, h->which, ull(h->lba), want, crc);
		return -EINVAL;
	}
	if (le64(buf + H_MY_LBA) != h->lba) {
		log_err("%s: %s GPT header at LBA %llu: it says it is at LBA %llu", d->name,
			h->which, ull(h->lba), ull(le64(buf + H_MY_LBA)));
		return -EINVAL;
	}
	/* The backup must point back at the primary; the primary's pointer is
	 * not used (the backup is always looked for at the last LBA), so a
	 * disk that grew since it was partitioned still reads. */
	if (h->lba != 1 && le64(buf + H_ALT_LBA) != 1) {
		log_err("%s: %s GPT header at LBA %llu: alternate LBA %llu, not 1", d->name,
			h->which, ull(h->lba), ull(le64(buf + H_ALT_LBA)));
		return -EINVAL;
	}
	h->first_usable = le64(buf + H_FIRST_USABLE);
	h->last_usable = le64(buf + H_LAST_USABLE);
	/* Usable space lies between the primary header (LBA 1) and the
	 * backup header (the last LBA). */
	if (h->first_usable < 2 || h->last_usable > last - 1 || h->first_usable > h->last_usable) {
		log_err("%s: %s GPT header at LBA %llu: usable LBAs %llu..%llu are not inside 2..%llu",
			d->name, h->which, ull(h->lba), ull(h->first_usable), ull(h->last_usable),
			ull(last - 1));
		return -EINVAL;
	}
	h->entry_size = le32(buf + H_ENTRY_SIZE);
	if (h->entry_size < 128 || !is_pow2(h->entry_size) || h->entry_size > GPT_MAX_ENTRY_SIZE) {
		log_err("%s: %s GPT header at LBA %llu: entry size %u is not 128 * 2^n up to %u",
			d->name, h->which, ull(h->lba), h->entry_size, GPT_MAX_ENTRY_SIZE);
		return -EINVAL;
	}
	h->num_entries = le32(buf + H_NUM_ENTRIES);
	array_bytes = (uint64_t)h->num_entries * h->entry_size;
	if (array_bytes > GPT_MAX_ENTRY_ARRAY) {
		log_err("%s: %s GPT header at LBA %llu: %u entries of %u bytes exceed the %u-byte limit",
			d->name, h->which, ull(h->lba), h->num_entries, h->entry_size,
			GPT_MAX_ENTRY_ARRAY);
		return -EINVAL;
	}
	h->entries_lba = le64(buf + H_ENTRIES_LBA);
	h->entries_crc = le32(buf + H_ENTRIES_CRC);
	array_blocks = (array_bytes + d->block_size - 1) / d->block_size;
	/* The array sits between the two headers and outside usable space. */
	if (h->entries_lba < 2 || array_blocks > last - 2 || h->entries_lba > last - array_blocks ||
	    (array_blocks && h->entries_lba + array_blocks > h->first_usable &&
	     h->entries_lba <= h->last_usable)) {
		log_err("%s: %s GPT header at LBA %llu: entry array at LBA %llu (%llu blocks) is not "
			"inside 2..%llu outside usable LBAs %llu..%llu",
			d->name, h->which, ull(h->lba), ull(h->entries_lba), ull(array_blocks),
			ull(last - 1), ull(h->first_usable), ull(h->last_usable));
		return -EINVAL;
	}
	return 0;
}

static void copy_name(char *out, const uint8_t *utf16)
{
	unsigned i;

	for (i = 0; i < GPT_NAME_MAX; i++) {
		uint16_t ch = (uint16_t)(utf16[2 * i] | utf16[2 * i + 1] << 8);

		if (ch == 0)
			break;
		out[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	out[i] = '\0';
}

/* Reads h's entry array in chunks as large as the scratch allows, checks
 * its CRC, then the used entries: inside usable space, not overlapping. */
static int read_entries(struct blkdev *d, const struct hdr *h, struct gpt_part *parts,
			unsigned max, unsigned *count, uint8_t *buf, size_t buf_len)
{
	uint64_t left = (uint64_t)h->num_entries * h->entry_size;
	/* A chunk holds whole blocks and whole entries: both are powers of
	 * two, so a multiple of the larger is a multiple of both. */
	uint32_t unit = h->entry_size > d->block_size ? h->entry_size : d->block_size;
	uint64_t chunk_blocks = (buf_len / unit) * unit / d->block_size;
	uint64_t lba = h->entries_lba;
	uint32_t crc = 0;
	unsigned used = 0, index = 0;

	while (left) {
		uint64_t want_blocks = (left + d->block_size - 1) / d->block_size;
		uint64_t n = want_blocks < chunk_blocks ? want_blocks : chunk_blocks;
		uint64_t bytes = n * d->block_size < left ? n * d->block_size : left;
		int rc = blkdev_read(d, lba, n, buf);

		if (rc)
			return rc;
		crc = crc32_update(crc, buf, (size_t)bytes);
		for (uint64_t off = 0; off < bytes; off += h->entry_size) {
			const uint8_t *e = buf + off;
			static const uint8_t zero[16];

			index++;
			if (memcmp(e + E_TYPE, zero, 16) == 0)
				continue;
			if (used < max) {
				struct gpt_part *p = &parts[used];

				p->index = index;
				memcpy(p->type.b, e + E_TYPE, 16);
				memcpy(p->unique.b, e + E_UNIQUE, 16);
				p->first_lba = le64(e + E_FIRST);
				p->last_lba = le64(e + E_LAST);
				copy_name(p->name, e + E_NAME);
			}
			used++; /* counts past max: the CRC decides first */
		}
		lba += n;
		left -= bytes; /* n >= 1 and bytes >= 1: every pass advances */
	}
	if (crc != h->entries_crc) {
		log_err("%s: %s GPT entry array at LBA %llu: CRC32 is 0x%08x, computed 0x%08x",
			d->name, h->which, ull(h->entries_lba), h->entries_crc, crc);
		return -EINVAL;
	}
	if (used > max) {
		log_err("%s: GPT has %u used partition entries, more than the %u this reader holds",
			d->name, used, max);
		return -ENOSPC;
	}
	for (unsigned i = 0; i < used; i++) {
		const struct gpt_part *p = &parts[i];

		if (p->first_lba > p->last_lba || p->first_lba < h->first_usable ||
		    p->last_lba > h->last_usable) {
			log_err("%s: %s GPT partition %u: LBAs %llu..%llu are not inside usable LBAs "
				"%llu..%llu",
				d->name, h->which, p->index, ull(p->first_lba), ull(p->last_lba),
				ull(h->first_usable), ull(h->last_usable));
			return -EINVAL;
		}
		for (unsigned j = 0; j < i; j++) {
			const struct gpt_part *q = &parts[j];

			if (p->first_lba <= q->last_lba && q->first_lba <= p->last_lba) {
				log_err("%s: %s GPT partitions %u (LBAs %llu..%llu) and %u (LBAs "
					"%llu..%llu) overlap",
					d->name, h->which, q->index, ull(q->first_lba),
					ull(q->last_lba), p->index, ull(p->first_lba),
					ull(p->last_lba));
				return -EINVAL;
			}
		}
	}
	*count = used;
	return 0;
}

static int read_table(struct blkdev *d, struct hdr *h, struct gpt_part *parts, unsigned max,
		      unsigned *count, uint8_t *buf, size_t buf_len)
{
	int rc = read_header(d, h, buf);

	return rc ? rc : read_entries(d, h, parts, max, count, buf, buf_len);
}

int gpt_read(struct blkdev *d, struct gpt_part *parts, unsigned max, unsigned *count,
	     void *scratch, size_t scratch_len)
{
	struct hdr primary = { .which = "primary", .lba = 1 };
	struct hdr backup = { .which = "backup" };
	int rc;

	*count = 0;
	if (d->block_size < 512 || d->block_size > 4096 || !is_pow2(d->block_size)) {
		log_err("%s: block size %u is not a power of two in 512..4096", d->name,
			d->block_size);
		return -EINVAL;
	}
	if (scratch_len < GPT_SCRATCH_MIN) {
		log_err("%s: GPT scratch of %zu bytes is below the %u needed", d->name, scratch_len,
			GPT_SCRATCH_MIN);
		return -ENOSPC;
	}
	/* MBR, primary header, one usable block, backup header. */
	if (d->blocks < 4) {
		log_info("%s: no GPT: %llu blocks are too few", d->name, ull(d->blocks));
		return -ENOENT;
	}
	rc = check_mbr(d, scratch);
	if (rc)
		return rc;
	rc = read_table(d, &primary, parts, max, count, scratch, scratch_len);
	if (rc == 0 || rc == -ENOSPC)
		return rc;
	backup.lba = d->blocks - 1;
	log_warn("%s: the primary GPT is unusable; trying the backup header at LBA %llu", d->name,
		 ull(backup.lba));
	rc = read_table(d, &backup, parts, max, count, scratch, scratch_len);
	if (rc == 0)
		log_warn("%s: using the backup GPT (the primary is damaged: repair it)", d->name);
	else if (rc != -ENOSPC)
		log_err("%s: neither the primary nor the backup GPT is usable (see above)", d->name);
	return rc;
}

bool gpt_is_esp(const struct gpt_part *p) { return guid_equal(&p->type, &gpt_type_esp); }
