/* FAT12/16/32 reader, from Microsoft's "FAT: General Overview of On-Disk
 * Format" 1.03 (section numbers below are that document's). The volume is
 * untrusted: the BPB is checked as a whole at mount, every cluster number
 * read from the FAT or a directory is checked against the volume before it
 * is used, every chain walk is bounded by the clusters it may hold, and
 * each rejection is one log line naming the device, the structure and the
 * value. */
#include "fat.h"

#include <errno.h>
#include <string.h>

#include "../lib/log.h"

/* BPB fields (section 3.1 and 3.3): byte offsets in the boot sector. */
enum {
	BS_JMP = 0,
	BPB_BYTS_PER_SEC = 11,
	BPB_SEC_PER_CLUS = 13,
	BPB_RSVD_SEC_CNT = 14,
	BPB_NUM_FATS = 16,
	BPB_ROOT_ENT_CNT = 17,
	BPB_TOT_SEC16 = 19,
	BPB_FAT_SZ16 = 22,
	BPB_TOT_SEC32 = 32,
	BPB_FAT_SZ32 = 36,
	BPB_EXT_FLAGS = 40,
	BPB_FS_VER = 42,
	BPB_ROOT_CLUS = 44,
	BS_SIGNATURE = 510,
};

/* Directory entry fields (section 6) and long-name entry fields (7). */
enum {
	DIR_NAME = 0,
	DIR_ATTR = 11,
	DIR_NTRES = 12,
	DIR_FST_CLUS_HI = 20,
	DIR_FST_CLUS_LO = 26,
	DIR_FILE_SIZE = 28,
	DIR_ENTRY_SIZE = 32,
	LDIR_ORD = 0,
	LDIR_TYPE = 12,
	LDIR_CHKSUM = 13,
	LDIR_FST_CLUS_LO = 26,
};

#define ATTR_VOLUME_ID 0x08
#define ATTR_DIRECTORY 0x10
#define ATTR_LONG_NAME 0x0f      /* read-only | hidden | system | volume id */
#define ATTR_LONG_NAME_MASK 0x3f
#define LAST_LONG_ENTRY 0x40
#define LFN_CHARS 13             /* UCS-2 characters per long-name entry */
#define LFN_MAX_ENTRIES 20       /* 20 * 13 >= 255 */
#define NTRES_LOWER_BASE 0x08    /* Windows NT: show the base name in lower case */
#define NTRES_LOWER_EXT 0x10
#define DIR_FREE 0xe5
#define DIR_END 0x00
#define DIR_KANJI_E5 0x05        /* a first byte of 0xE5 stored as 0x05 */

#define FAT_EOC 0xffffffffu      /* fat_next: end of chain */

/* Section 3.5: the type follows from the cluster count alone. */
#define FAT12_MAX_CLUSTERS 4084u
#define FAT16_MAX_CLUSTERS 65524u
#define FAT32_MAX_CLUSTERS 0x0ffffff5u /* highest cluster number 0x0FFFFFF6 */

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool is_pow2(uint32_t x) { return x && !(x & (x - 1)); }

static unsigned long long ull(uint64_t v) { return (unsigned long long)v; }

static char upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static bool cluster_ok(const struct fat_vol *v, uint32_t c)
{
	return c >= 2 && c - 2 < v->clusters;
}

static uint64_t cluster_lba(const struct fat_vol *v, uint32_t c)
{
	return v->data_start + (uint64_t)(c - 2) * v->sec_per_clus;
}

/* ---- mount ---- */

int fat_mount(struct fat_vol *v, struct blkdev *dev, void *scratch, size_t scratch_len,
	      uint64_t max_io)
{
	uint32_t ss = dev->block_size, bps, spc, rsvd, nfats, root_ent, fatsz16, fatsz, tot;
	uint64_t meta, fat_need;
	const uint8_t *b;
	size_t slots;
	int rc;

	memset(v, 0, sizeof(*v));
	v->dev = dev;
	if (ss < 512 || ss > 4096 || !is_pow2(ss)) {
		log_err("%s: block size %u is not a FAT sector size (512, 1024, 2048 or 4096)",
			dev->name, ss);
		return -EINVAL;
	}
	if (scratch_len < FAT_CACHE_SLOT + ss) {
		log_err("%s: FAT scratch of %zu bytes is below the %u needed", dev->name,
			scratch_len, FAT_CACHE_SLOT + ss);
		return -ENOSPC;
	}
	/* Cache slots first, so page-aligned scratch gives aligned slots. */
	slots = (scratch_len - ss) / FAT_CACHE_SLOT;
	v->cache_slots = slots < FAT_CACHE_SLOTS_MAX ? (unsigned)slots : FAT_CACHE_SLOTS_MAX;
	v->cache = scratch;
	v->sector_buf = v->cache + (size_t)v->cache_slots * FAT_CACHE_SLOT;
	if (dev->blocks == 0) {
		log_info("%s: not a FAT volume: the device is empty", dev->name);
		return -ENOENT;
	}
	rc = blkdev_read(dev, 0, 1, v->sector_buf);
	if (rc)
		return rc;
	b = v->sector_buf;

	/* Section 3.1: a jump instruction and the 0x55AA signature mark a
	 * boot sector; without them this is some other filesystem. */
	if ((b[BS_JMP] != 0xeb && b[BS_JMP] != 0xe9) || b[BS_SIGNATURE] != 0x55 ||
	    b[BS_SIGNATURE + 1] != 0xaa) {
		log_info("%s: not a FAT volume: no boot sector jump and 0x55AA signature",
			 dev->name);
		return -ENOENT;
	}
	bps = le16(b + BPB_BYTS_PER_SEC);
	if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096) {
		log_err("%s: FAT boot sector: bytes per sector %u is not 512, 1024, 2048 or 4096",
			dev->name, bps);
		return -EINVAL;
	}
	/* One sector, one block: every FAT and directory sector is one read. */
	if (bps != ss) {
		log_err("%s: FAT boot sector: bytes per sector %u differs from the device's %u-byte "
			"blocks (this reader needs them equal)",
			dev->name, bps, ss);
		return -EINVAL;
	}
	spc = b[BPB_SEC_PER_CLUS];
	if (!is_pow2(spc)) {
		log_err("%s: FAT boot sector: sectors per cluster %u is not a power of two",
			dev->name, spc);
		return -EINVAL;
	}
	rsvd = le16(b + BPB_RSVD_SEC_CNT);
	if (rsvd == 0) {
		log_err("%s: FAT boot sector: reserved sector count is 0", dev->name);
		return -EINVAL;
	}
	nfats = b[BPB_NUM_FATS];
	if (nfats < 1 || nfats > 4) {
		log_err("%s: FAT boot sector: FAT count %u is not 1..4", dev->name, nfats);
		return -EINVAL;
	}
	root_ent = le16(b + BPB_ROOT_ENT_CNT);
	fatsz16 = le16(b + BPB_FAT_SZ16);
	fatsz = fatsz16 ? fatsz16 : le32(b + BPB_FAT_SZ32);
	if (fatsz == 0) {
		log_err("%s: FAT boot sector: FAT size is 0 sectors", dev->name);
		return -EINVAL;
	}
	tot = le16(b + BPB_TOT_SEC16) ? le16(b + BPB_TOT_SEC16) : le32(b + BPB_TOT_SEC32);
	if (tot == 0 || tot > dev->blocks) {
		log_err("%s: FAT boot sector: total sectors %u is not 1..%llu (the device size)",
			dev->name, tot, ull(dev->blocks));
		return -EINVAL;
	}
	/* Section 3.5: reserved sectors, the FATs and the FAT12/16 root come
	 * before the data region, which must hold at least one cluster. */
	v->root_sectors = (root_ent * 32 + ss - 1) / ss;
	meta = rsvd + (uint64_t)nfats * fatsz + v->root_sectors;
	if (meta >= tot || (tot - meta) / spc == 0) {
		log_err("%s: FAT boot sector: %u reserved, %u x %u FAT and %u root sectors leave no "
			"data cluster in %u sectors",
			dev->name, rsvd, nfats, fatsz, v->root_sectors, tot);
		return -EINVAL;
	}
	v->clusters = (uint32_t)((tot - meta) / spc);
	v->type = v->clusters <= FAT12_MAX_CLUSTERS   ? FAT_12
		  : v->clusters <= FAT16_MAX_CLUSTERS ? FAT_16
						      : FAT_32;
	/* The BPB layout must agree with the type the count gives: FAT32 has
	 * no FAT16 size and no fixed root, FAT12/16 have both. */
	if (v->type == FAT_32 ? fatsz16 != 0 || root_ent != 0 : fatsz16 == 0 || root_ent == 0) {
		log_err("%s: FAT boot sector: %u clusters make this FAT%d, but the FAT16 size is %u "
			"and the root entry count %u",
			dev->name, v->clusters, (int)v->type, fatsz16, root_ent);
		return -EINVAL;
	}
	if (v->type == FAT_32 && v->clusters > FAT32_MAX_CLUSTERS) {
		log_err("%s: FAT boot sector: %u clusters exceed the FAT32 maximum %u", dev->name,
			v->clusters, FAT32_MAX_CLUSTERS);
		return -EINVAL;
	}
	/* Entries 0 and 1 are reserved, so the FAT has clusters + 2 entries. */
	fat_need = v->type == FAT_12   ? (3 * ((uint64_t)v->clusters + 2) + 1) / 2
		   : v->type == FAT_16 ? 2 * ((uint64_t)v->clusters + 2)
				       : 4 * ((uint64_t)v->clusters + 2);
	if (fat_need > (uint64_t)fatsz * ss) {
		log_err("%s: FAT boot sector: a FAT of %u sectors cannot map %u clusters", dev->name,
			fatsz, v->clusters);
		return -EINVAL;
	}
	v->fat_start = rsvd;
	if (v->type == FAT_32) {
		uint16_t ext = le16(b + BPB_EXT_FLAGS), ver = le16(b + BPB_FS_VER);

		if (ver != 0) {
			log_err("%s: FAT32 boot sector: version 0x%04x is not 0.0", dev->name, ver);
			return -EINVAL;
		}
		/* Section 3.3: bit 7 set means only FAT number (bits 0-3) is
		 * active; the others may be stale. */
		if (ext & 0x80) {
			if ((ext & 0xf) >= nfats) {
				log_err("%s: FAT32 boot sector: active FAT %u of %u FATs", dev->name,
					ext & 0xf, nfats);
				return -EINVAL;
			}
			v->fat_start = rsvd + (ext & 0xf) * fatsz;
		}
		v->root_cluster = le32(b + BPB_ROOT_CLUS);
		if (!cluster_ok(v, v->root_cluster)) {
			log_err("%s: FAT32 boot sector: root cluster %u is not in 2..%u", dev->name,
				v->root_cluster, v->clusters + 1);
			return -EINVAL;
		}
	}
	if (max_io == 0)
		max_io = FAT_DEFAULT_MAX_IO;
	if (max_io < ss) {
		log_err("%s: FAT read size %llu is below one %u-byte sector", dev->name,
			ull(max_io), ss);
		return -EINVAL;
	}
	v->max_io = max_io / ss * ss;
	v->sector_size = ss;
	v->sec_per_clus = spc;
	v->cluster_bytes = spc * ss;
	v->fat_sectors = fatsz;
	v->root_start = rsvd + nfats * fatsz;
	v->root_entries = root_ent;
	v->data_start = (uint32_t)meta;
	log_info("%s: FAT%d, %u clusters of %u bytes", dev->name, (int)v->type, v->clusters,
		 v->cluster_bytes);
	return 0;
}

/* ---- the FAT ---- */

/* Byte off of the FAT in use, through the cache. */
static int fat_byte(struct fat_vol *v, uint64_t off, uint8_t *out)
{
	uint32_t per_slot = FAT_CACHE_SLOT / v->sector_size;
	uint64_t sector = off / v->sector_size;
	uint32_t group, first, n;
	unsigned slot;
	int rc;

	if (sector >= v->fat_sectors) { /* mount sized the FAT; this is a bug guard */
		log_err("%s: FAT byte %llu is beyond the %u-sector FAT", v->dev->name, ull(off),
			v->fat_sectors);
		return -EINVAL;
	}
	group = (uint32_t)(sector / per_slot);
	for (slot = 0; slot < v->cache_slots; slot++)
		if (v->cache_tag[slot] == group + 1)
			goto hit;
	/* Round robin: chains mostly move forward through the FAT. */
	slot = v->cache_next++ % v->cache_slots;
	first = group * per_slot;
	n = v->fat_sectors - first < per_slot ? v->fat_sectors - first : per_slot;
	v->cache_tag[slot] = 0;
	rc = blkdev_read(v->dev, (uint64_t)v->fat_start + first, n,
			 v->cache + (size_t)slot * FAT_CACHE_SLOT);
	if (rc)
		return rc;
	v->cache_tag[slot] = group + 1;
hit:
	*out = v->cache[(size_t)slot * FAT_CACHE_SLOT +
			(size_t)(off - (uint64_t)group * per_slot * v->sector_size)];
	return 0;
}

/* The cluster after c (in 2..clusters+1) or FAT_EOC; anything else (free,
 * reserved, bad, out of range) is corruption, logged naming what. */
static int fat_next(struct fat_vol *v, uint32_t c, uint32_t *next, const char *what,
		    int what_len)
{
	uint8_t b[4] = { 0 };
	uint64_t off;
	uint32_t val, eoc;
	unsigned width;
	int rc;

	switch (v->type) {
	case FAT_12:
		off = c + c / 2, width = 2, eoc = 0xff8;
		break;
	case FAT_16:
		off = (uint64_t)c * 2, width = 2, eoc = 0xfff8;
		break;
	default:
		off = (uint64_t)c * 4, width = 4, eoc = 0x0ffffff8;
		break;
	}
	for (unsigned i = 0; i < width; i++) {
		rc = fat_byte(v, off + i, &b[i]);
		if (rc)
			return rc;
	}
	val = le32(b);
	if (v->type == FAT_12)
		val = c & 1 ? val >> 4 : val & 0xfff; /* 12 bits, nibble-packed */
	else if (v->type == FAT_32)
		val &= 0x0fffffff; /* the top 4 bits are reserved */
	if (val >= eoc) {
		*next = FAT_EOC;
		return 0;
	}
	if (!cluster_ok(v, val)) {
		log_err("%s: %.*s: FAT entry of cluster %u is 0x%x, not a cluster in 2..%u or end "
			"of chain",
			v->dev->name, what_len, what, c, val, v->clusters + 1);
		return -EINVAL;
	}
	*next = val;
	return 0;
}

/* ---- directories ---- */

/* A long name being assembled from its entries (section 7). */
struct lfn {
	bool active;
	uint8_t next;      /* sequence number the next entry must carry */
	uint8_t chksum;
	bool ascii;        /* every character printable ASCII */
	unsigned len;
	char name[LFN_MAX_ENTRIES * LFN_CHARS + 1];
};

struct scan {
	struct fat_vol *v;
	const char *what; /* the directory, for messages: what_len characters */
	int what_len;
	struct lfn lfn;
	bool end;         /* met the 0x00 entry */
	uint32_t left;    /* entries still allowed (the FAT12/16 root's count) */
	int (*fn)(struct scan *s, const struct fat_file *f, bool long_ok, bool short_ok);
	/* for the callers */
	const char *want;
	size_t want_len;
	struct fat_file *found;
	fat_list_fn user_fn;
	void *user_ctx;
};

/* Section 7.2: the checksum of the 11-byte short name a long name
 * belongs to. */
static uint8_t short_chksum(const uint8_t *name)
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name[i]);
	return sum;
}

static void lfn_entry(struct lfn *l, const uint8_t *e)
{
	/* Where the 13 characters sit in an entry: Name1, Name2, Name3. */
	static const uint8_t pos[LFN_CHARS] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };
	uint8_t ord = e[LDIR_ORD], seq = ord & 0x3f;

	if (e[LDIR_TYPE] != 0 || le16(e + LDIR_FST_CLUS_LO) != 0 || seq < 1 ||
	    seq > LFN_MAX_ENTRIES) {
		l->active = false; /* not a long-name entry this reader knows */
		return;
	}
	if (ord & LAST_LONG_ENTRY) {
		/* The last part comes first; it fixes the length. */
		l->active = true;
		l->chksum = e[LDIR_CHKSUM];
		l->ascii = true;
		l->len = seq * LFN_CHARS;
	} else if (!l->active || seq != l->next || e[LDIR_CHKSUM] != l->chksum) {
		l->active = false; /* an orphan or out of order: ignored (7.1) */
		return;
	}
	for (unsigned i = 0; i < LFN_CHARS; i++) {
		unsigned at = (seq - 1u) * LFN_CHARS + i;
		uint16_t ch = le16(e + pos[i]);

		if (at >= l->len)
			break;
		if (ch == 0 && (ord & LAST_LONG_ENTRY)) {
			l->len = at; /* the terminator; 0xFFFF padding follows */
			break;
		}
		if (ch < 0x20 || ch >= 0x7f) {
			l->ascii = false; /* shown as '?', never matched */
			ch = '?';
		}
		l->name[at] = (char)ch;
	}
	l->next = (uint8_t)(seq - 1);
}

/* One 32-byte entry; fills *f and returns true for a file or directory. */
static bool dir_entry(struct scan *s, const uint8_t *e, struct fat_file *f, bool *long_ok,
		      bool *short_ok)
{
	struct fat_vol *v = s->v;
	uint8_t attr = e[DIR_ATTR];
	unsigned n = 0;
	int base_len = 8, ext_len = 3;
	bool lfn_ok;

	if ((attr & ATTR_LONG_NAME_MASK) == ATTR_LONG_NAME) {
		lfn_entry(&s->lfn, e);
		return false;
	}
	/* A short entry ends any long name before it, used or not. */
	lfn_ok = s->lfn.active && s->lfn.next == 0 && s->lfn.len > 0 &&
		 s->lfn.chksum == short_chksum(e + DIR_NAME);
	s->lfn.active = false;
	if (e[DIR_NAME] == DIR_FREE || (attr & ATTR_VOLUME_ID) || e[DIR_NAME] == '.')
		return false; /* deleted, the label, "." and ".." */

	/* 8.3: the base and the extension, each without its space padding. */
	*short_ok = true;
	while (base_len > 0 && e[DIR_NAME + base_len - 1] == ' ')
		base_len--;
	while (ext_len > 0 && e[DIR_NAME + 8 + ext_len - 1] == ' ')
		ext_len--;
	for (int i = 0; i < 11; i++) {
		char c;

		if (i < 8 ? i >= base_len : i - 8 >= ext_len)
			continue;
		if (i == 8)
			f->short_name[n++] = '.';
		c = (char)(i == 0 && e[DIR_NAME] == DIR_KANJI_E5 ? DIR_FREE : e[DIR_NAME + i]);
		if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f) {
			*short_ok = false; /* an OEM code page character: never matched */
			c = '?';
		}
		if (e[DIR_NTRES] & (i < 8 ? NTRES_LOWER_BASE : NTRES_LOWER_EXT))
			c = lower(c);
		f->short_name[n++] = c;
	}
	f->short_name[n] = '\0';
	if (lfn_ok) {
		memcpy(f->name, s->lfn.name, s->lfn.len < FAT_NAME_MAX ? s->lfn.len : FAT_NAME_MAX);
		f->name[s->lfn.len < FAT_NAME_MAX ? s->lfn.len : FAT_NAME_MAX] = '\0';
	} else {
		memcpy(f->name, f->short_name, n + 1);
	}
	*long_ok = lfn_ok && s->lfn.ascii && s->lfn.len <= FAT_NAME_MAX;
	f->attr = attr;
	f->is_dir = attr & ATTR_DIRECTORY;
	/* The high half exists on FAT32 only (section 6: 0 elsewhere). */
	f->first_cluster = le16(e + DIR_FST_CLUS_LO) |
			   (v->type == FAT_32 ? (uint32_t)le16(e + DIR_FST_CLUS_HI) << 16 : 0);
	f->size = f->is_dir ? 0 : le32(e + DIR_FILE_SIZE);
	return true;
}

/* Scans the sector at lba: 0 to go on, else the callback's stop value or an
 * error; s->end when the 0x00 entry ends the directory. */
static int scan_sector(struct scan *s, uint64_t lba)
{
	struct fat_vol *v = s->v;
	int rc = blkdev_read(v->dev, lba, 1, v->sector_buf);

	if (rc)
		return rc;
	for (uint32_t off = 0; off < v->sector_size && s->left; off += DIR_ENTRY_SIZE, s->left--) {
		const uint8_t *e = v->sector_buf + off;
		struct fat_file f = { 0 };
		bool long_ok = false, short_ok = false;

		if (e[DIR_NAME] == DIR_END) {
			s->end = true;
			return 0;
		}
		if (dir_entry(s, e, &f, &long_ok, &short_ok)) {
			rc = s->fn(s, &f, long_ok, short_ok);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Every entry of dir through s->fn, until the end entry, the end of the
 * directory, or a nonzero return. */
static int dir_scan(struct scan *s, const struct fat_file *dir)
{
	struct fat_vol *v = s->v;
	uint32_t c = dir->first_cluster, max_steps;
	int rc;

	s->lfn.active = false;
	s->end = false;
	if (c == 0 && v->type != FAT_32) {
		s->left = v->root_entries;
		for (uint32_t i = 0; i < v->root_sectors && !s->end && s->left; i++) {
			rc = scan_sector(s, (uint64_t)v->root_start + i);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (!cluster_ok(v, c)) {
		log_err("%s: directory %.*s: first cluster %u is not in 2..%u", v->dev->name,
			s->what_len, s->what, c, v->clusters + 1);
		return -EINVAL;
	}
	/* A directory holds at most 65536 entries, and a chain never more
	 * clusters than the volume: past either it is corrupt or a loop. */
	max_steps = (FAT_DIR_MAX_BYTES + v->cluster_bytes - 1) / v->cluster_bytes;
	if (max_steps > v->clusters)
		max_steps = v->clusters;
	s->left = UINT32_MAX;
	for (uint32_t step = 1;; step++) {
		for (uint32_t i = 0; i < v->sec_per_clus && !s->end; i++) {
			rc = scan_sector(s, cluster_lba(v, c) + i);
			if (rc)
				return rc;
		}
		if (s->end)
			return 0;
		rc = fat_next(v, c, &c, s->what, s->what_len);
		if (rc || c == FAT_EOC)
			return rc;
		if (step >= max_steps) {
			log_err("%s: directory %.*s: its chain runs past %u clusters (over 65536 "
				"entries or a loop)",
				v->dev->name, s->what_len, s->what, max_steps);
			return -EINVAL;
		}
	}
}

static bool name_eq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++)
		if (b[i] == '\0' || upper(a[i]) != upper(b[i]))
			return false;
	return b[i] == '\0';
}

static int find_fn(struct scan *s, const struct fat_file *f, bool long_ok, bool short_ok)
{
	if ((long_ok && name_eq(s->want, s->want_len, f->name)) ||
	    (short_ok && name_eq(s->want, s->want_len, f->short_name))) {
		*s->found = *f;
		return 1;
	}
	return 0;
}

/* Checks what a matched entry claims before anything follows it. */
static int check_entry(struct fat_vol *v, const struct fat_file *f, const char *path, int plen)
{
	bool empty_file = !f->is_dir && f->size == 0 && f->first_cluster == 0;

	if (!empty_file && !cluster_ok(v, f->first_cluster)) {
		log_err("%s: %.*s: directory entry's first cluster %u is not in 2..%u",
			v->dev->name, plen, path, f->first_cluster, v->clusters + 1);
		return -EINVAL;
	}
	return 0;
}

int fat_open(struct fat_vol *v, const char *path, struct fat_file *f)
{
	struct fat_file cur = { .name = "/", .short_name = "/", .is_dir = true,
				.attr = ATTR_DIRECTORY };
	struct scan s = { .v = v, .fn = find_fn };
	const char *p = path;

	cur.first_cluster = v->type == FAT_32 ? v->root_cluster : 0;
	if (path[0] != '/') {
		log_err("%s: path \"%s\" does not start with '/'", v->dev->name, path);
		return -EINVAL;
	}
	for (const char *q = path; *q; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f) {
			log_err("%s: path \"%s\" has a character that is not printable ASCII",
				v->dev->name, path);
			return -EINVAL;
		}
	for (;;) {
		size_t len = 0;
		int rc;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		while (p[len] && p[len] != '/')
			len++;
		if (len > FAT_NAME_MAX || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.')) {
			log_err("%s: path \"%s\": component \"%.*s\" is too long or . or ..",
				v->dev->name, path, (int)(len > 64 ? 64 : len), p);
			return -EINVAL;
		}
		if (!cur.is_dir) {
			log_err("%s: path \"%s\": %.*s is a file, not a directory", v->dev->name, path,
				(int)(p - 1 - path), path);
			return -ENOTDIR;
		}
		s.what = path;
		s.what_len = p - path > 1 ? (int)(p - 1 - path) : 1; /* the directory */
		s.want = p;
		s.want_len = len;
		s.found = f;
		rc = dir_scan(&s, &cur);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			log_err("%s: path \"%s\": no \"%.*s\" in %.*s", v->dev->name, path, (int)len,
				p, p - path > 1 ? (int)(p - 1 - path) : 1, path);
			return -ENOENT;
		}
		rc = check_entry(v, f, path, (int)(p + len - path));
		if (rc)
			return rc;
		cur = *f;
		p += len; /* len >= 1: every pass advances */
	}
	*f = cur;
	return 0;
}

int fat_stat(struct fat_vol *v, const char *path, uint64_t *size)
{
	struct fat_file f;
	int rc = fat_open(v, path, &f);

	if (rc)
		return rc;
	if (f.is_dir) {
		log_err("%s: %s is a directory", v->dev->name, path);
		return -EISDIR;
	}
	*size = f.size;
	return 0;
}

static int list_fn(struct scan *s, const struct fat_file *f, bool long_ok, bool short_ok)
{
	(void)long_ok;
	(void)short_ok;
	return s->user_fn(f, s->user_ctx);
}

int fat_list(struct fat_vol *v, const char *path, fat_list_fn fn, void *ctx)
{
	struct fat_file dir;
	struct scan s = { .v = v, .what = path, .what_len = -1, .fn = list_fn, .user_fn = fn,
			  .user_ctx = ctx };
	int rc = fat_open(v, path, &dir);

	if (rc)
		return rc;
	if (!dir.is_dir) {
		log_err("%s: %s is a file, not a directory", v->dev->name, path);
		return -ENOTDIR;
	}
	return dir_scan(&s, &dir);
}

/* ---- file data ---- */

/* Reads the run of count clusters from c on, or the part of it the file
 * still needs, into dst + *off: whole sectors straight in, in requests of
 * at most max_io, and a last partial sector through the sector buffer. */
static int read_run(struct fat_vol *v, const struct fat_file *f, uint32_t c, uint64_t count,
		    uint8_t *dst, uint64_t *off)
{
	uint64_t lba = cluster_lba(v, c), bytes = count * v->cluster_bytes;
	uint64_t sectors, per_io = v->max_io / v->sector_size, tail;
	int rc;

	if (bytes > f->size - *off)
		bytes = f->size - *off;
	sectors = bytes / v->sector_size;
	tail = bytes % v->sector_size;
	while (sectors) {
		uint64_t n = sectors < per_io ? sectors : per_io; /* per_io >= 1 */

		rc = blkdev_read(v->dev, lba, n, dst + *off);
		if (rc)
			return rc;
		lba += n;
		sectors -= n;
		*off += n * v->sector_size;
	}
	if (tail) {
		rc = blkdev_read(v->dev, lba, 1, v->sector_buf);
		if (rc)
			return rc;
		memcpy(dst + *off, v->sector_buf, (size_t)tail);
		*off += tail;
	}
	return 0;
}

int fat_read(struct fat_vol *v, const struct fat_file *f, void *dst, uint64_t dst_len,
	     uint64_t *got)
{
	uint64_t need, off = 0, run_len = 1, i;
	uint32_t c = f->first_cluster, run_first = c, next;
	int rc;

	*got = 0;
	if (f->is_dir) {
		log_err("%s: %s is a directory, not a file", v->dev->name, f->name);
		return -EISDIR;
	}
	if (f->size > dst_len) {
		log_err("%s: %s is %u bytes, larger than the %llu-byte buffer for it", v->dev->name,
			f->name, f->size, ull(dst_len));
		return -EFBIG;
	}
	if (f->size == 0) {
		if (c != 0) {
			log_err("%s: %s: an empty file with first cluster %u (a chain longer than "
				"the size)",
				v->dev->name, f->name, c);
			return -EINVAL;
		}
		return 0;
	}
	need = (f->size + (uint64_t)v->cluster_bytes - 1) / v->cluster_bytes;
	if (need > v->clusters || !cluster_ok(v, c)) {
		log_err("%s: %s: %u bytes from cluster %u do not fit %u clusters of %u bytes",
			v->dev->name, f->name, f->size, c, v->clusters, v->cluster_bytes);
		return -EINVAL;
	}
	/* Exactly need clusters: a loop shows as a chain longer than the
	 * size, so the walk ends after at most need steps. */
	for (i = 1;; i++) {
		rc = fat_next(v, c, &next, f->name, -1); /* -1: the whole name */
		if (rc)
			return rc;
		if (i == need) {
			if (next != FAT_EOC) {
				log_err("%s: %s: the cluster chain goes on past the %llu clusters "
					"of its %u bytes",
					v->dev->name, f->name, ull(need), f->size);
				return -EINVAL;
			}
			break;
		}
		if (next == FAT_EOC) {
			log_err("%s: %s: the cluster chain ends after %llu clusters; %u bytes need "
				"%llu",
				v->dev->name, f->name, ull(i), f->size, ull(need));
			return -EINVAL;
		}
		if ((uint64_t)next == (uint64_t)run_first + run_len) {
			run_len++; /* contiguous: the same read */
		} else {
			rc = read_run(v, f, run_first, run_len, dst, &off);
			if (rc)
				return rc;
			run_first = next;
			run_len = 1;
		}
		c = next;
	}
	rc = read_run(v, f, run_first, run_len, dst, &off);
	if (rc)
		return rc;
	*got = off;
	return 0;
}
