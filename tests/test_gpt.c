/* GPT reader tests on real sgdisk images (and one hand-built 4 KiB-sector
 * disk), then on copies with one thing broken each: the reader must fall
 * back to the backup where the spec says so, and otherwise refuse with a
 * sentence saying what is wrong. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/crc32.h"
#include "../payload/fat.h"
#include "../payload/gpt.h"
#include "harness.h"
#include "memdisk.h"
#include "paytest.h"

#define MAXP 16

static uint8_t scratch[GPT_SCRATCH_SIZE];

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* Recomputes the entry-array CRC and then the header CRC of the header at
 * lba, as a tool that wrote the (modified) fields would. */
static void gpt_fix(struct memdisk *m, uint64_t lba)
{
	uint32_t bs = m->dev.block_size;
	uint8_t *h = m->data + lba * bs;
	uint64_t elba = get64(h + 72), bytes = (uint64_t)get32(h + 80) * get32(h + 84);

	if (elba < m->dev.blocks && bytes <= (m->dev.blocks - elba) * bs)
		put32(h + 88, crc32(m->data + elba * bs, (size_t)bytes));
	put32(h + 16, 0);
	put32(h + 16, crc32(h, get32(h + 12) < bs ? get32(h + 12) : bs));
}

static uint8_t *hdr(struct memdisk *m, uint64_t lba) { return m->data + lba * m->dev.block_size; }

static uint8_t *entry(struct memdisk *m, uint64_t hdr_lba, unsigned i)
{
	uint8_t *h = hdr(m, hdr_lba);

	return m->data + get64(h + 72) * m->dev.block_size + (size_t)i * get32(h + 84);
}

/* A 4 MiB sgdisk disk: ESP 2048..4095 and a Linux partition after it.
 * sgdisk takes a second, so a test making several gets copies of one. */
static void make_small_gpt(struct memdisk *m)
{
	static struct memdisk made;
	uint8_t *copy;

	if (!made.data) {
		pt_need_tools();
		pt_workdir();
		pt_sh("truncate -s 4M disk && sgdisk -n 1:2048:+1M -t 1:ef00 -c 1:'EFI system' "
		      "-n 2:0:0 -t 2:8300 -c 2:'root fs' disk");
		memdisk_load(&made, pt_path("disk"), 512, "mem0");
		pt_cleanup();
	}
	copy = malloc(made.len);
	CHECK(copy != NULL);
	memcpy(copy, made.data, made.len);
	memdisk_init(m, copy, made.len, 512, "mem0");
	m->owned = 1;
	log_capture_start();
}

static int read_gpt(struct memdisk *m, struct gpt_part *p, unsigned *n)
{
	return gpt_read(&m->dev, p, MAXP, n, scratch, sizeof(scratch));
}

static void check_small_parts(const struct gpt_part *p, unsigned n)
{
	CHECK_EQ(n, 2);
	CHECK_EQ(p[0].index, 1);
	CHECK_EQ(p[0].first_lba, 2048);
	CHECK_EQ(p[0].last_lba, 4095);
	CHECK(gpt_is_esp(&p[0]));
	CHECK(strcmp(p[0].name, "EFI system") == 0);
	CHECK_EQ(p[1].index, 2);
	CHECK_EQ(p[1].first_lba, 4096);
	CHECK_EQ(p[1].last_lba, 8158); /* last usable: 33 blocks of backup table */
	CHECK(!gpt_is_esp(&p[1]));
	CHECK(guid_equal(&p[1].type, &gpt_type_linux_fs));
	CHECK(strcmp(p[1].name, "root fs") == 0);
}

TEST(gpt_sgdisk_disk)
{
	struct memdisk m;
	struct gpt_part p[MAXP];
	unsigned n = 99;

	make_small_gpt(&m);
	CHECK_EQ(read_gpt(&m, p, &n), 0);
	check_small_parts(p, n);
	CHECK(!log_has("backup"));
	/* The smallest scratch reads the 16 KiB array in 4 KiB chunks. */
	n = 0;
	m.reads = 0;
	CHECK_EQ(gpt_read(&m.dev, p, MAXP, &n, scratch, GPT_SCRATCH_MIN), 0);
	check_small_parts(p, n);
	CHECK_EQ(m.reads, 2 + 4);
	/* The recommended size reads it in one request. */
	m.reads = 0;
	CHECK_EQ(gpt_read(&m.dev, p, MAXP, &n, scratch, GPT_SCRATCH_SIZE), 0);
	CHECK_EQ(m.reads, 3);
	CHECK_EQ(gpt_read(&m.dev, p, MAXP, &n, scratch, GPT_SCRATCH_MIN - 1), -ENOSPC);
	CHECK(log_has("scratch of 4095 bytes"));
	/* More used entries than the caller holds: not a silent truncation. */
	CHECK_EQ(gpt_read(&m.dev, p, 1, &n, scratch, sizeof(scratch)), -ENOSPC);
	CHECK_EQ(n, 0);
	CHECK(log_has("2 used partition entries, more than the 1"));
	memdisk_free(&m);
}

TEST(gpt_esp_fat32_end_to_end)
{
	struct memdisk m;
	struct gpt_part p[MAXP];
	unsigned n;
	struct blkdev_part esp, root;
	static uint8_t fscratch[FAT_SCRATCH_SIZE];
	struct fat_vol v;

	pt_need_tools();
	pt_workdir();
	pt_write_file("bootx64", 70001, 1);
	pt_write_file("vmlinuz", 5 << 20, 2);
	pt_write_file("initrd", 1234567, 3);
	pt_sh("truncate -s 64M disk && sgdisk -n 1:2048:+40M -t 1:ef00 -c 1:'EFI system' "
	      "-n 2:0:0 -t 2:8300 disk && mkfs.vfat -F 32 -s 1 --offset 2048 disk 40960");
	pt_sh("mmd -i disk@@1M ::/EFI ::/EFI/BOOT ::/boot && "
	      "mcopy -i disk@@1M bootx64 ::/EFI/BOOT/BOOTX64.EFI && "
	      "mcopy -i disk@@1M vmlinuz ::/boot/vmlinuz-6.1.0-18-amd64 && "
	      "mcopy -i disk@@1M initrd ::/boot/initrd.img-6.1.0-18-amd64");
	memdisk_load(&m, pt_path("disk"), 512, "scsi:0");
	log_capture_start();
	CHECK_EQ(read_gpt(&m, p, &n), 0);
	CHECK_EQ(n, 2);
	CHECK(gpt_is_esp(&p[0]));
	blkdev_part_init(&esp, &m.dev, p[0].first_lba, p[0].last_lba - p[0].first_lba + 1,
			 "scsi:0 part 1");
	CHECK_EQ(fat_mount(&v, &esp.dev, fscratch, sizeof(fscratch), 0), 0);
	CHECK(v.type == FAT_32);
	pt_check_file(&v, "/EFI/BOOT/BOOTX64.EFI", "bootx64");
	pt_check_file(&v, "/boot/vmlinuz-6.1.0-18-amd64", "vmlinuz");
	pt_check_file(&v, "/BOOT/INITRD.IMG-6.1.0-18-AMD64", "initrd");
	/* The Linux partition holds no FAT: the caller moves on. */
	blkdev_part_init(&root, &m.dev, p[1].first_lba, p[1].last_lba - p[1].first_lba + 1,
			 "scsi:0 part 2");
	CHECK_EQ(fat_mount(&v, &root.dev, fscratch, sizeof(fscratch), 0), -ENOENT);
	CHECK(log_has("scsi:0 part 2: not a FAT volume"));
	memdisk_free(&m);
	pt_cleanup();
}

TEST(gpt_bad_primary_header_crc_uses_backup)
{
	struct memdisk m;
	struct gpt_part p[MAXP];
	unsigned n;

	make_small_gpt(&m);
	hdr(&m, 1)[60] ^= 1; /* a disk GUID byte: only the CRC notices */
	CHECK_EQ(read_gpt(&m, p, &n), 0);
	check_small_parts(p, n);
	CHECK(log_has("mem0: primary GPT header at LBA 1: header CRC32 is 0x"));
	CHECK(log_has("using the backup GPT"));
	memdisk_free(&m);
}

TEST(gpt_bad_primary_entries_crc_uses_backup)
{
	struct memdisk m;
	struct gpt_part p[MAXP];
	unsigned n;

	make_small_gpt(&m);
	entry(&m, 1, 0)[40] ^= 0xff; /* partition 1's last LBA */
	CHECK_EQ(read_gpt(&m, p, &n), 0);
	check_small_parts(p, n);
	CHECK(log_has("mem0: primary GPT entry array at LBA 2: CRC32 is 0x"));
	CHECK(log_has("using the backup GPT"));
	memdisk_free(&m);
}

TEST(gpt_both_headers_bad)
{
	struct memdisk m;
	struct gpt_part p[MAXP];
	unsigned n = 7;

	make_small_gpt(&m);
	hdr(&m, 1)[60] ^= 1;
	memcpy(hdr(&m, m.dev.blocks - 1), "EFI JUNK", 8);
	CHECK_EQ(read_gpt(&m, p, &n), -EINVAL);
	CHECK_EQ(n, 0);
	CHECK(log_has("primary GPT header at LBA 1: header CRC32"));
	CHECK(log_has("backup GPT header at LBA 8191: no \"EFI PART\" signature"));
	CHECK(log_has("mem0: neither the primary nor the backup GPT is usable"));
	memdisk_free(&m);
}

/* Applies edit to the primary header (then fixes its CRCs): the primary
 * must be refused with a log line holding why, and the backup used. With
 * both, the disk must be refused. */
static void check_header_edit(void (*edit)(struct memdisk *m, uint64_t lba), const char *why)
{
	struct memdisk m;
	struct gpt_part p[MAXP];
	unsigned n;

	make_small_gpt(&m);
	edit(&m, 1);
	gpt_fix(&m, 1);
	CHECK_EQ(read_gpt(&m, p, &n), 0);
	check_small_parts(p, n);
	if (!log_has(why))
		log_dump();
	CHECK_MSG(log_has(why), "no \"%s\" in the log", why);
	CHECK(log_has("using the backup GPT"));
	edit(&m, m.dev.blocks - 1);
	gpt_fix(&m, m.dev.blocks - 1);
	CHECK_EQ(read_gpt(&m, p, &n), -EINVAL);
	CHECK(log_has("backup GPT header at LBA 8191"));
	memdisk_free(&m);
}

static void huge_count(struct memdisk *m, uint64_t lba) { put32(hdr(m, lba) + 80, 0x10000000); }
static void count_just_over(struct memdisk *m, uint64_t lba) { put32(hdr(m, lba) + 80, 8193); }
static void entries_past_end(struct memdisk *m, uint64_t lba) { put64(hdr(m, lba) + 72, 8180); }
static void entries_huge_lba(struct memdisk *m, uint64_t lba)
{
	put64(hdr(m, lba) + 72, UINT64_MAX - 3);
}
static void entries_in_usable(struct memdisk *m, uint64_t lba) { put64(hdr(m, lba) + 72, 3000); }
static void entry_size_100(struct memdisk *m, uint64_t lba) { put32(hdr(m, lba) + 84, 100); }
static void entry_size_8k(struct memdisk *m, uint64_t lba) { put32(hdr(m, lba) + 84, 8192); }
static void header_size_91(struct memdisk *m, uint64_t lba) { put32(hdr(m, lba) + 12, 91); }
static void header_size_513(struct memdisk *m, uint64_t lba) { put32(hdr(m, lba) + 12, 513); }
static void revision_2(struct memdisk *m, uint64_t lba) { put32(hdr(m, lba) + 8, 0x00020000); }
static void my_lba_wrong(struct memdisk *m, uint64_t lba) { put64(hdr(m, lba) + 24, lba + 1); }
static void usable_past_end(struct memdisk *m, uint64_t lba) { put64(hdr(m, lba) + 48, 8191); }
static void usable_reversed(struct memdisk *m, uint64_t lba)
{
	put64(hdr(m, lba) + 40, 5000);
	put64(hdr(m, lba) + 48, 4999);
}

TEST(gpt_huge_entry_count)
{
	check_header_edit(huge_count, "268435456 entries of 128 bytes exceed the 1048576-byte limit");
	check_header_edit(count_just_over, "8193 entries of 128 bytes exceed");
}

TEST(gpt_entries_beyond_disk)
{
	check_header_edit(entries_past_end, "entry array at LBA 8180 (32 blocks) is not inside");
	check_header_edit(entries_huge_lba, "entry array at LBA 18446744073709551612");
	check_header_edit(entries_in_usable, "entry array at LBA 3000");
}

TEST(gpt_header_fields_checked)
{
	check_header_edit(entry_size_100, "entry size 100 is not 128 * 2^n");
	check_header_edit(entry_size_8k, "entry size 8192");
	check_header_edit(header_size_91, "header size 91 is outside 92..512");
	check_header_edit(header_size_513, "header size 513");
	check_header_edit(revision_2, "revision 0x00020000");
	check_header_edit(my_lba_wrong, "it says it is at LBA 2");
	check_header_edit(usable_past_end, "usable LBAs 34..8191 are not inside 2..8190");
	check_header_edit(usable_reversed, "usable LBAs 5000..4999");
}

TEST(gpt_backup_must_point_at_primary)
{
	struct memdisk m;
	struct gpt_part p[MAXP];
	unsigned n;

	make_small_gpt(&m);
	hdr(&m, 1)[0] = 'X';
	put64(hdr(&m, 8191) + 32, 2);
	gpt_fix(&m, 8191);
	CHECK_EQ(read_gpt(&m, p, &n), -EINVAL);
	CHECK(log_has("backup GPT header at LBA 8191: alternate LBA 2, not 1"));
	memdisk_free(&m);
}

/* Edits an entry in both arrays and fixes both headers: the same bad
 * table twice, so there is nothing to fall back to. */
static void edit_both(struct memdisk *m, unsigned i, unsigned off, uint64_t v)
{
	put64(entry(m, 1, i) + off, v);
	put64(entry(m, 8191, i) + off, v);
	gpt_fix(m, 1);
	gpt_fix(m, 8191);
}

TEST(gpt_overlapping_partitions)
{
	struct memdisk m;
	struct gpt_part p[MAXP];
	unsigned n;

	make_small_gpt(&m);
	edit_both(&m, 1, 32, 4000); /* partition 2 now starts inside partition 1 */
	CHECK_EQ(read_gpt(&m, p, &n), -EINVAL);
	CHECK(log_has("primary GPT partitions 1 (LBAs 2048..4095) and 2 (LBAs 4000..8158) "
			 "overlap"));
	CHECK(log_has("backup GPT partitions 1"));
	/* The same partition twice, in entry slots 1 and 5. */
	memcpy(entry(&m, 1, 4), entry(&m, 1, 0), 128);
	memcpy(entry(&m, 8191, 4), entry(&m, 8191, 0), 128);
	edit_both(&m, 1, 32, 4096);
	CHECK_EQ(read_gpt(&m, p, &n), -EINVAL);
	CHECK(log_has("partitions 1 (LBAs 2048..4095) and 5 (LBAs 2048..4095) overlap"));
	memdisk_free(&m);
}

TEST(gpt_partition_outside_usable)
{
	struct memdisk m;
	struct gpt_part p[MAXP];
	unsigned n;

	make_small_gpt(&m);
	edit_both(&m, 1, 40, 8159); /* into the backup entry array */
	CHECK_EQ(read_gpt(&m, p, &n), -EINVAL);
	CHECK(log_has("primary GPT partition 2: LBAs 4096..8159 are not inside usable LBAs "
			 "34..8158"));
	edit_both(&m, 1, 40, 4095); /* last before first */
	edit_both(&m, 1, 32, 4096);
	CHECK_EQ(read_gpt(&m, p, &n), -EINVAL);
	CHECK(log_has("partition 2: LBAs 4096..4095"));
	edit_both(&m, 0, 32, 33); /* over the primary entry array */
	edit_both(&m, 1, 40, 5000);
	CHECK_EQ(read_gpt(&m, p, &n), -EINVAL);
	CHECK(log_has("partition 1: LBAs 33..4095"));
	memdisk_free(&m);
}

TEST(gpt_no_protective_mbr)
{
	struct memdisk m;
	struct gpt_part p[MAXP];
	unsigned n;
	static uint8_t tiny[3 * 512];

	make_small_gpt(&m);
	m.data[446 + 4] = 0x83; /* the 0xEE record becomes a Linux one */
	CHECK_EQ(read_gpt(&m, p, &n), -ENOENT);
	CHECK(log_has("mem0: no GPT: the MBR has no partition of type 0xEE"));
	m.data[511] = 0;
	CHECK_EQ(read_gpt(&m, p, &n), -ENOENT);
	CHECK(log_has("the MBR signature is 0x5500, not 0x55AA"));
	memdisk_free(&m);
	memdisk_init(&m, tiny, sizeof(tiny), 512, "tiny");
	CHECK_EQ(read_gpt(&m, p, &n), -ENOENT);
	CHECK(log_has("tiny: no GPT: 3 blocks are too few"));
	memdisk_init(&m, tiny, sizeof(tiny), 768, "odd");
	CHECK_EQ(read_gpt(&m, p, &n), -EINVAL);
	CHECK(log_has("odd: block size 768"));
}

TEST(gpt_superfloppy_fat_is_not_gpt)
{
	struct memdisk m;
	struct gpt_part p[MAXP];
	unsigned n;

	pt_need_tools();
	pt_workdir();
	pt_sh("mkfs.vfat -C fat.img 2048");
	memdisk_load(&m, pt_path("fat.img"), 512, "mem0");
	pt_cleanup();
	log_capture_start();
	CHECK_EQ(read_gpt(&m, p, &n), -ENOENT);
	memdisk_free(&m);
}

/* A disk with 4096-byte blocks, laid out by hand (sgdisk assumes 512):
 * MBR, header, a 16 KiB array (4 blocks) at LBA 2, the ESP at 256..4351
 * holding a FAT made with 4096-byte sectors, the backup at the end. */
TEST(gpt_4k_blocks)
{
	const uint32_t bs = 4096;
	const uint64_t blocks = 8192, last = blocks - 1;
	struct memdisk m;
	struct gpt_part p[MAXP];
	unsigned n;
	uint8_t *disk, *h, *esp_img;
	size_t esp_len;
	struct blkdev_part esp;
	static uint8_t fscratch[FAT_SCRATCH_SIZE];
	struct fat_vol v;

	pt_need_tools();
	pt_workdir();
	pt_write_file("kernel", 300000, 9);
	pt_sh("mkfs.vfat -S 4096 -s 1 -C esp.img 16384 && mmd -i esp.img ::/boot && "
	      "mcopy -i esp.img kernel ::/boot/vmlinuz");
	esp_img = pt_read_file("esp.img", &esp_len);
	CHECK_EQ(esp_len, 4096 * 4096);
	disk = calloc(blocks, bs);
	CHECK(disk != NULL);
	memdisk_init(&m, disk, blocks * bs, bs, "scsi:1");
	memcpy(disk + 256 * bs, esp_img, esp_len);
	disk[510] = 0x55, disk[511] = 0xaa, disk[446 + 4] = 0xee;
	for (int copy = 0; copy < 2; copy++) {
		uint64_t at = copy ? last : 1, elba = copy ? last - 4 : 2;
		uint8_t *e = disk + elba * bs;

		h = disk + at * bs;
		memcpy(h, "EFI PART", 8);
		put32(h + 8, 0x00010000);
		put32(h + 12, 92);
		put64(h + 24, at);
		put64(h + 32, copy ? 1 : last);
		put64(h + 40, 6);
		put64(h + 48, last - 5);
		put64(h + 72, elba);
		put32(h + 80, 128);
		put32(h + 84, 128);
		memcpy(e, gpt_type_esp.b, 16);
		e[16] = 1;
		put64(e + 32, 256);
		put64(e + 40, 256 + 4096 - 1);
		e[56] = 'E', e[58] = 'S', e[60] = 'P', e[62] = 0xe9; /* a non-ASCII 'é' */
		gpt_fix(&m, at);
	}
	log_capture_start();
	CHECK_EQ(read_gpt(&m, p, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(gpt_is_esp(&p[0]));
	CHECK(strcmp(p[0].name, "ESP?") == 0);
	blkdev_part_init(&esp, &m.dev, p[0].first_lba, p[0].last_lba - p[0].first_lba + 1, NULL);
	CHECK_EQ(fat_mount(&v, &esp.dev, fscratch, sizeof(fscratch), 0), 0);
	CHECK_EQ(v.sector_size, 4096);
	pt_check_file(&v, "/boot/vmlinuz", "kernel");
	/* The same disk, backup only. */
	disk[bs] = 0;
	CHECK_EQ(read_gpt(&m, p, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(log_has("using the backup GPT"));
	free(esp_img);
	free(disk);
	pt_cleanup();
}
