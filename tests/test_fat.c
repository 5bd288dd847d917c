/* FAT reader tests on images made by mkfs.vfat and mtools: FAT12, FAT16
 * and FAT32, 512- and 4096-byte sectors, long names, nested directories,
 * fragmented files and the sizes around a cluster; then copies with one
 * thing broken each, which must give a clear error, never a hang or an
 * out-of-bounds access. Every file loaded is compared with its source and
 * with sha256sum, in a buffer of its exact size with a guard behind. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/sha256.h"
#include "../payload/fat.h"
#include "harness.h"
#include "memdisk.h"
#include "paytest.h"

static uint8_t scratch[FAT_SCRATCH_SIZE] __attribute__((aligned(4096)));

/* ---- an independent look at the image, for checks and corruption ---- */

struct geo {
	uint32_t ss, spc, rsvd, nfats, fatsz, root_ent, tot, bits;
	uint32_t root_start, data_start, clusters, root_clus;
};

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v), wr16(p + 2, v >> 16); }

static void geo_of(const uint8_t *img, struct geo *g)
{
	g->ss = rd16(img + 11);
	g->spc = img[13];
	g->rsvd = rd16(img + 14);
	g->nfats = img[16];
	g->root_ent = rd16(img + 17);
	g->tot = rd16(img + 19) ? rd16(img + 19) : rd32(img + 32);
	g->fatsz = rd16(img + 22) ? rd16(img + 22) : rd32(img + 36);
	g->root_start = g->rsvd + g->nfats * g->fatsz;
	g->data_start = g->root_start + (g->root_ent * 32 + g->ss - 1) / g->ss;
	g->clusters = (g->tot - g->data_start) / g->spc;
	g->bits = g->clusters < 4085 ? 12 : g->clusters < 65525 ? 16 : 32;
	g->root_clus = g->bits == 32 ? rd32(img + 44) : 0;
}

static uint8_t *fat0(uint8_t *img, const struct geo *g) { return img + (size_t)g->rsvd * g->ss; }

static uint32_t fat_get(uint8_t *img, const struct geo *g, uint32_t c)
{
	uint8_t *f = fat0(img, g);

	if (g->bits == 12) {
		uint32_t v = rd16(f + c + c / 2);

		return c & 1 ? v >> 4 : v & 0xfff;
	}
	return g->bits == 16 ? rd16(f + 2 * c) : rd32(f + 4 * c) & 0x0fffffff;
}

static void fat_set(uint8_t *img, const struct geo *g, uint32_t c, uint32_t v)
{
	uint8_t *f = fat0(img, g);

	CHECK(g->bits != 12); /* the corruption tests use FAT16 */
	if (g->bits == 16)
		wr16(f + 2 * c, v);
	else
		wr32(f + 4 * c, v);
}

static uint8_t *cluster_ptr(uint8_t *img, const struct geo *g, uint32_t c)
{
	return img + ((size_t)g->data_start + (size_t)(c - 2) * g->spc) * g->ss;
}

/* The raw 32-byte entry with 11-byte short name in a directory region. */
static uint8_t *raw_entry(uint8_t *start, size_t len, const char *name11)
{
	for (size_t off = 0; off + 32 <= len; off += 32)
		if (memcmp(start + off, name11, 11) == 0)
			return start + off;
	test_fail(__FILE__, __LINE__, "no entry \"%s\"", name11);
}

/* The runs of consecutive clusters in the chain from first, each cut at
 * max_clusters: what one coalescing reader must issue as reads. */
static unsigned own_runs(uint8_t *img, const struct geo *g, uint32_t first, uint32_t max_clusters,
			 unsigned *chain_len)
{
	uint32_t eoc = g->bits == 12 ? 0xff8 : g->bits == 16 ? 0xfff8 : 0x0ffffff8;
	unsigned runs = 1, len = 1, in_run = 1;

	for (uint32_t c = first, n; (n = fat_get(img, g, c)) < eoc; c = n, len++) {
		CHECK(n >= 2 && n < g->clusters + 2 && len <= g->clusters);
		if (n == c + 1 && in_run < max_clusters) {
			in_run++;
		} else {
			runs++;
			in_run = 1;
		}
	}
	*chain_len = len;
	return runs;
}

/* ---- building images ---- */

struct tfile {
	const char *path; /* on the FAT volume */
	long size;        /* bytes; negative: that many bytes from a cluster */
};

static const struct tfile standard[] = {
	{ "/empty", 0 },
	{ "/one.bin", 1 },
	{ "/clm1.bin", -1 },
	{ "/cl.bin", 0x10000 }, /* exactly one cluster: fixed up below */
	{ "/clp1.bin", 1 },     /* one cluster and a byte: likewise */
	{ "/lower.txt", 100 },
	{ "/MixedCase.Txt", 200 },
	{ "/boot/vmlinuz-6.1.0-18-amd64", (3 << 20) + 123 },
	{ "/EFI/BOOT/BOOTX64.EFI", 10000 },
	{ "/A Long Directory Name For Testing/Some.File.Name.With.Dots.txt", 5000 },
	{ "/d1/d2/d3/d4/deep.bin", 777 },
	{ "/this is a file name of sixty-six characters, spanning six entries.data", 4321 },
};

static long file_size(const struct tfile *t, uint32_t cluster)
{
	if (strcmp(t->path, "/cl.bin") == 0)
		return cluster;
	if (strcmp(t->path, "/clp1.bin") == 0)
		return cluster + 1;
	return t->size < 0 ? cluster + t->size : t->size;
}

/* Makes "img" with mkfs_args and size_kib, copies the standard files into
 * it (host copies named h0, h1, ...) and loads it as a device. */
static void build(struct memdisk *m, const char *mkfs_args, unsigned size_kib, uint32_t ss,
		  uint32_t cluster)
{
	pt_need_tools();
	pt_workdir();
	pt_sh("mkfs.vfat %s -C img %u", mkfs_args, size_kib);
	pt_sh("mmd -i img ::/boot ::/EFI ::/EFI/BOOT '::/A Long Directory Name For Testing' "
	      "::/d1 ::/d1/d2 ::/d1/d2/d3 ::/d1/d2/d3/d4");
	for (unsigned i = 0; i < sizeof(standard) / sizeof(standard[0]); i++) {
		char host[16];

		snprintf(host, sizeof(host), "h%u", i);
		pt_write_file(host, (size_t)file_size(&standard[i], cluster), 40 + i);
		pt_sh("mcopy -i img %s '::%s'", host, standard[i].path);
	}
	memdisk_load(m, pt_path("img"), ss, "mem0");
	log_capture_start();
}

static void check_standard(struct fat_vol *v)
{
	for (unsigned i = 0; i < sizeof(standard) / sizeof(standard[0]); i++) {
		char host[16];

		snprintf(host, sizeof(host), "h%u", i);
		pt_check_file(v, standard[i].path, host);
	}
	/* Names are case-insensitive, and 8.3 aliases work too. */
	pt_check_file(v, "/BOOT/VMLINUZ-6.1.0-18-AMD64", "h7");
	pt_check_file(v, "/efi/boot/bootx64.efi", "h8");
	pt_check_file(v, "//a long directory name for testing//SOME.FILE.NAME.WITH.DOTS.TXT", "h9");
	pt_check_file(v, "/ALONGD~1/SOMEFI~1.TXT", "h9");
	pt_check_file(v, "/MIXEDC~1.TXT", "h6");
}

struct listing {
	char names[64][FAT_NAME_MAX + 2]; /* and a "/" for directories */
	unsigned n;
	int stop_at; /* return 7 at this entry, or -1 */
};

static int collect(const struct fat_file *e, void *ctx)
{
	struct listing *l = ctx;

	if (l->n < 64)
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s%s", e->name, e->is_dir ? "/" : "");
	return (int)l->n++ == l->stop_at ? 7 : 0;
}

static bool listed(const struct listing *l, const char *name)
{
	for (unsigned i = 0; i < l->n && i < 64; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

static void check_root_listing(struct fat_vol *v)
{
	static struct listing l;

	memset(&l, 0, sizeof(l));
	l.stop_at = -1;
	CHECK_EQ(fat_list(v, "/", collect, &l), 0);
	CHECK_EQ(l.n, 12);
	CHECK(listed(&l, "empty") && listed(&l, "lower.txt") && listed(&l, "MixedCase.Txt"));
	CHECK(listed(&l, "boot/") && listed(&l, "A Long Directory Name For Testing/"));
	CHECK(listed(&l, "this is a file name of sixty-six characters, spanning six entries.data"));
	memset(&l, 0, sizeof(l));
	l.stop_at = 2;
	CHECK_EQ(fat_list(v, "/", collect, &l), 7); /* the callback's stop value */
	CHECK_EQ(l.n, 3);
	memset(&l, 0, sizeof(l));
	l.stop_at = -1;
	CHECK_EQ(fat_list(v, "/d1/d2/d3", collect, &l), 0);
	CHECK_EQ(l.n, 1);
	CHECK(listed(&l, "d4/"));
}

static void standard_test(const char *mkfs_args, unsigned size_kib, uint32_t ss, uint32_t cluster,
			  enum fat_type type)
{
	struct memdisk m;
	struct fat_vol v;

	build(&m, mkfs_args, size_kib, ss, cluster);
	CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 0), 0);
	CHECK_EQ(v.type, type);
	CHECK_EQ(v.cluster_bytes, cluster);
	check_standard(&v);
	check_root_listing(&v);
	memdisk_free(&m);
	pt_cleanup();
}

TEST(fat12_files)
{
	standard_test("-F 12 -s 8", 12288, 512, 4096, FAT_12);
}

TEST(fat16_files)
{
	standard_test("-F 16 -s 4", 32768, 512, 2048, FAT_16);
}

TEST(fat32_files)
{
	standard_test("-F 32 -s 1", 40960, 512, 512, FAT_32);
}

TEST(fat16_4k_sectors)
{
	standard_test("-F 16 -S 4096 -s 1", 65536, 4096, 4096, FAT_16);
}

TEST(fat32_many_entries_directory)
{
	struct memdisk m;
	struct fat_vol v;
	struct geo g;
	static struct listing l;
	char cmd[4096] = "mcopy -i img", name[64];
	struct fat_file d;

	pt_need_tools();
	pt_workdir();
	pt_sh("mkfs.vfat -F 32 -s 1 -C img 40960 && mmd -i img ::/many");
	/* 60 long names of 3 entries each: a directory of 11 clusters. */
	for (unsigned i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "file number %02u with a long name.txt", i);
		pt_write_file(name, 10 + i, i);
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " '%s'", name);
	}
	pt_sh("%s ::/many/", cmd);
	memdisk_load(&m, pt_path("img"), 512, "mem0");
	log_capture_start();
	CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 0), 0);
	geo_of(m.data, &g);
	CHECK_EQ(fat_open(&v, "/many", &d), 0);
	{
		unsigned len;

		own_runs(m.data, &g, d.first_cluster, UINT32_MAX, &len);
		CHECK_MSG(len >= 10, "the directory has only %u clusters", len);
	}
	memset(&l, 0, sizeof(l));
	l.stop_at = -1;
	CHECK_EQ(fat_list(&v, "/many", collect, &l), 0);
	CHECK_EQ(l.n, 60);
	for (unsigned i = 0; i < 60; i++) {
		char path[96];

		snprintf(name, sizeof(name), "file number %02u with a long name.txt", i);
		snprintf(path, sizeof(path), "/many/%s", name);
		pt_check_file(&v, path, name);
	}
	memdisk_free(&m);
	pt_cleanup();
}

/* Small files, every other one deleted, then a big file: it fills the
 * holes, so its chain is fragmented. The reader must issue exactly one
 * read per run of consecutive clusters, straight into the destination. */
TEST(fat_fragmented_file)
{
	struct memdisk m;
	struct fat_vol v;
	struct geo g;
	struct fat_file f;
	char cmd[2048] = "mcopy -i img", del[2048] = "mdel -i img", name[16];
	unsigned runs, len;
	uint8_t *dst, *want;
	size_t want_len;
	uint64_t got;
	const size_t size = 100 * 1024 + 3 * 512; /* whole sectors: no tail */

	pt_need_tools();
	pt_workdir();
	pt_sh("mkfs.vfat -F 16 -s 4 -C img 16384");
	for (unsigned i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "s%02u", i);
		pt_write_file(name, 2048, 500 + i);
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %s", name);
		if (i % 2 == 0)
			snprintf(del + strlen(del), sizeof(del) - strlen(del), " ::/%s", name);
	}
	pt_sh("%s ::/ && %s", cmd, del);
	pt_write_file("big", size, 77);
	pt_sh("mcopy -i img big ::/big.bin");
	memdisk_load(&m, pt_path("img"), 512, "mem0");
	log_capture_start();
	geo_of(m.data, &g);
	CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 0), 0);
	CHECK_EQ(fat_open(&v, "/big.bin", &f), 0);
	runs = own_runs(m.data, &g, f.first_cluster, UINT32_MAX, &len);
	CHECK_EQ(len, size / 2048 + 1);
	CHECK_MSG(runs >= 15, "only %u runs: the file is not fragmented", runs);
	pt_check_file(&v, "/big.bin", "big");
	want = pt_read_file("big", &want_len);
	dst = malloc(size);
	CHECK(dst != NULL);
	memdisk_watch(&m, dst, size);
	CHECK_EQ(fat_read(&v, &f, dst, size, &got), 0);
	CHECK(memcmp(dst, want, size) == 0);
	CHECK_EQ(m.watch_reads, runs);
	/* A 4 KiB cap (two clusters) cuts the runs into pieces of two. */
	CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 4096), 0);
	memset(dst, 0, size);
	memdisk_watch(&m, dst, size);
	CHECK_EQ(fat_read(&v, &f, dst, size, &got), 0);
	CHECK(memcmp(dst, want, size) == 0);
	CHECK_EQ(m.watch_reads, own_runs(m.data, &g, f.first_cluster, 2, &len));
	CHECK_EQ(m.watch_max_blocks, 8);
	/* The smallest scratch (one FAT cache slot) reads it the same. */
	CHECK_EQ(fat_mount(&v, &m.dev, scratch, FAT_SCRATCH_MIN, 0), 0);
	CHECK_EQ(v.cache_slots, 1);
	pt_check_file(&v, "/big.bin", "big");
	CHECK_EQ(fat_mount(&v, &m.dev, scratch, FAT_CACHE_SLOT + 511, 0), -ENOSPC);
	CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 100), -EINVAL);
	CHECK(log_has("read size 100 is below one 512-byte sector"));
	free(dst);
	free(want);
	memdisk_free(&m);
	pt_cleanup();
}

/* A contiguous file is one read, or one per max_io. */
TEST(fat_contiguous_reads_are_coalesced)
{
	struct memdisk m;
	struct fat_vol v;
	struct fat_file f;
	struct geo g;
	const size_t size = 3 << 20;
	unsigned len;
	uint8_t *dst;
	uint64_t got;

	pt_need_tools();
	pt_workdir();
	pt_write_file("k", size, 5);
	pt_sh("mkfs.vfat -F 32 -s 1 -C img 40960 && mcopy -i img k ::/k");
	memdisk_load(&m, pt_path("img"), 512, "mem0");
	log_capture_start();
	geo_of(m.data, &g);
	CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 0), 0);
	CHECK_EQ(fat_open(&v, "/k", &f), 0);
	CHECK_EQ(own_runs(m.data, &g, f.first_cluster, UINT32_MAX, &len), 1);
	dst = malloc(size);
	CHECK(dst != NULL);
	memdisk_watch(&m, dst, size);
	CHECK_EQ(fat_read(&v, &f, dst, size, &got), 0);
	CHECK_EQ(m.watch_reads, 1);
	CHECK_EQ(m.watch_max_blocks, size / 512);
	CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 1 << 20), 0);
	memdisk_watch(&m, dst, size);
	CHECK_EQ(fat_read(&v, &f, dst, size, &got), 0);
	CHECK_EQ(m.watch_reads, 3);
	CHECK_EQ(m.watch_max_blocks, 2048);
	pt_check_file(&v, "/k", "k");
	free(dst);
	memdisk_free(&m);
	pt_cleanup();
}

/* ---- corrupt volumes ---- */

/* FAT16, 2 KiB clusters: big.bin (10 clusters), empty, sub/file.txt. */
static void build_corrupt_base(struct memdisk *m, struct geo *g)
{
	pt_need_tools();
	pt_workdir();
	pt_write_file("big", 20000, 1);
	pt_write_file("small", 300, 2);
	pt_write_file("empty", 0, 3);
	pt_sh("mkfs.vfat -F 16 -s 4 -C img 16384 && mcopy -i img big ::/big.bin && "
	      "mcopy -i img empty ::/empty && mmd -i img ::/sub && "
	      "mcopy -i img small ::/sub/file.txt");
	memdisk_load(m, pt_path("img"), 512, "mem0");
	geo_of(m->data, g);
	CHECK_EQ(g->bits, 16);
	log_capture_start();
}

static uint8_t *root_entry(struct memdisk *m, const struct geo *g, const char *name11)
{
	return raw_entry(m->data + (size_t)g->root_start * g->ss, (size_t)g->root_ent * 32, name11);
}

static uint32_t first_cluster_of(struct memdisk *m, const struct geo *g, const char *name11)
{
	return rd16(root_entry(m, g, name11) + 26);
}

/* Mounts, opens path and reads it into a guarded buffer: the result must
 * be err with a log line holding why, and the guard untouched. */
static void expect_read_error(struct memdisk *m, const char *path, int err, const char *why)
{
	struct fat_vol v;
	struct fat_file f;
	uint64_t got = 12345;
	uint8_t *buf = malloc(65536 + 4096);
	int rc;

	CHECK(buf != NULL);
	memset(buf, 0x5a, 65536 + 4096);
	CHECK_EQ(fat_mount(&v, &m->dev, scratch, sizeof(scratch), 0), 0);
	rc = fat_open(&v, path, &f);
	if (rc == 0)
		rc = fat_read(&v, &f, buf, 65536, &got);
	if (rc != err || !log_has(why))
		log_dump();
	CHECK_EQ(rc, err);
	CHECK_MSG(log_has(why), "no \"%s\" in the log", why);
	CHECK(got == 12345 || got == 0);
	for (unsigned i = 0; i < 4096; i++)
		CHECK(buf[65536 + i] == 0x5a);
	free(buf);
}

TEST(fat_cluster_loop)
{
	struct memdisk m;
	struct geo g;
	uint32_t c;

	build_corrupt_base(&m, &g);
	c = first_cluster_of(&m, &g, "BIG     BIN");
	fat_set(m.data, &g, c + 9, c); /* the last cluster points back at the first */
	expect_read_error(&m, "/big.bin", -EINVAL, "big.bin: the cluster chain goes on past the 10 "
						  "clusters of its 20000 bytes");
	fat_set(m.data, &g, c + 9, 0xffff);
	fat_set(m.data, &g, c + 3, c + 1); /* a loop in the middle */
	expect_read_error(&m, "/big.bin", -EINVAL, "goes on past");
	memdisk_free(&m);
	pt_cleanup();
}

TEST(fat_cluster_beyond_volume)
{
	struct memdisk m;
	struct geo g;
	uint32_t c;
	char why[128];

	build_corrupt_base(&m, &g);
	c = first_cluster_of(&m, &g, "BIG     BIN");
	fat_set(m.data, &g, c + 2, g.clusters + 2);
	snprintf(why, sizeof(why), "big.bin: FAT entry of cluster %u is 0x%x, not a cluster in 2..%u",
		 c + 2, g.clusters + 2, g.clusters + 1);
	expect_read_error(&m, "/big.bin", -EINVAL, why);
	fat_set(m.data, &g, c + 2, 0);      /* free */
	expect_read_error(&m, "/big.bin", -EINVAL, "is 0x0, not a cluster");
	fat_set(m.data, &g, c + 2, 0xfff7); /* bad */
	expect_read_error(&m, "/big.bin", -EINVAL, "is 0xfff7, not a cluster");
	fat_set(m.data, &g, c + 2, 1);      /* reserved */
	expect_read_error(&m, "/big.bin", -EINVAL, "is 0x1, not a cluster");
	memdisk_free(&m);
	pt_cleanup();
}

TEST(fat_chain_shorter_than_size)
{
	struct memdisk m;
	struct geo g;
	uint32_t c;
	uint8_t *e;

	build_corrupt_base(&m, &g);
	c = first_cluster_of(&m, &g, "BIG     BIN");
	fat_set(m.data, &g, c + 2, 0xfff8);
	expect_read_error(&m, "/big.bin", -EINVAL,
			  "the cluster chain ends after 3 clusters; 20000 bytes need 10");
	fat_set(m.data, &g, c + 2, c + 3);
	/* The size claims more than the volume holds. */
	e = root_entry(&m, &g, "BIG     BIN");
	wr32(e + 28, 0xffffffffu);
	{
		struct fat_vol v;
		struct fat_file f;
		uint8_t one[16];
		uint64_t got;

		CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 0), 0);
		CHECK_EQ(fat_open(&v, "/big.bin", &f), 0);
		CHECK_EQ(fat_read(&v, &f, one, UINT64_MAX, &got), -EINVAL);
		CHECK(log_has("4294967295 bytes from cluster"));
	}
	/* An empty file with a cluster: a chain longer than its size. */
	wr32(e + 28, 20000);
	wr16(root_entry(&m, &g, "EMPTY      ") + 26, c);
	expect_read_error(&m, "/empty", -EINVAL, "an empty file with first cluster");
	memdisk_free(&m);
	pt_cleanup();
}

TEST(fat_dir_entry_first_cluster_1)
{
	struct memdisk m;
	struct geo g;

	build_corrupt_base(&m, &g);
	wr16(root_entry(&m, &g, "BIG     BIN") + 26, 1);
	expect_read_error(&m, "/big.bin", -EINVAL,
			  "mem0: /big.bin: directory entry's first cluster 1 is not in 2..");
	wr16(root_entry(&m, &g, "SUB        ") + 26, 1);
	expect_read_error(&m, "/sub/file.txt", -EINVAL, "/sub: directory entry's first cluster 1");
	wr16(root_entry(&m, &g, "SUB        ") + 26, 0); /* only ".." may say 0 */
	expect_read_error(&m, "/sub/file.txt", -EINVAL, "/sub: directory entry's first cluster 0");
	wr16(root_entry(&m, &g, "SUB        ") + 26, 0xffff);
	expect_read_error(&m, "/sub/file.txt", -EINVAL, "first cluster 65535");
	memdisk_free(&m);
	pt_cleanup();
}

TEST(fat_directory_chain_loop)
{
	struct memdisk m;
	struct geo g;
	uint32_t c;
	uint8_t *d;

	build_corrupt_base(&m, &g);
	c = first_cluster_of(&m, &g, "SUB        ");
	/* A directory cluster with no end entry that chains to itself. */
	d = cluster_ptr(m.data, &g, c);
	for (unsigned off = 0; off < g.spc * g.ss; off += 32) {
		memset(d + off, 'A', 32);
		d[off] = 0xe5;
		d[off + 11] = 0x20;
	}
	fat_set(m.data, &g, c, c);
	expect_read_error(&m, "/sub/nothing", -EINVAL,
			  "directory /sub: its chain runs past 1024 clusters");
	/* Its chain leaving the volume. */
	fat_set(m.data, &g, c, 60000);
	expect_read_error(&m, "/sub/nothing", -EINVAL, "is 0xea60, not a cluster");
	memdisk_free(&m);
	pt_cleanup();
}

TEST(fat_long_name_checks)
{
	struct memdisk m;
	struct geo g;
	struct fat_vol v;
	struct fat_file f;
	uint8_t *root;
	size_t i;

	pt_need_tools();
	pt_workdir();
	pt_write_file("x", 50, 1);
	pt_sh("mkfs.vfat -F 16 -s 4 -C img 16384 && mcopy -i img x '::/A Long Name.txt'");
	memdisk_load(&m, pt_path("img"), 512, "mem0");
	log_capture_start();
	geo_of(m.data, &g);
	root = m.data + (size_t)g.root_start * g.ss;
	CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 0), 0);
	CHECK_EQ(fat_open(&v, "/a long name.TXT", &f), 0);
	CHECK(strcmp(f.name, "A Long Name.txt") == 0);
	CHECK(strcmp(f.short_name, "ALONGN~1.TXT") == 0);
	/* Find the long-name entry (attribute 0x0F) and break its checksum:
	 * the long name is ignored, the 8.3 name still works. */
	for (i = 0; root[i * 32 + 11] != 0x0f; i++)
		CHECK(i < 16);
	root[i * 32 + 13] ^= 1;
	CHECK_EQ(fat_open(&v, "/A Long Name.txt", &f), -ENOENT);
	CHECK(log_has("no \"A Long Name.txt\" in /"));
	CHECK_EQ(fat_open(&v, "/ALONGN~1.TXT", &f), 0);
	CHECK(strcmp(f.name, "ALONGN~1.TXT") == 0);
	root[i * 32 + 13] ^= 1;
	/* A sequence number out of range: ignored likewise. */
	CHECK_EQ(root[i * 32], 0x42); /* the last of two parts comes first */
	root[i * 32] = 0x40 | 21;
	CHECK_EQ(fat_open(&v, "/A Long Name.txt", &f), -ENOENT);
	root[i * 32] = 0x42;
	/* Parts out of order: ignored too. */
	root[(i + 1) * 32] = 2;
	CHECK_EQ(fat_open(&v, "/A Long Name.txt", &f), -ENOENT);
	root[(i + 1) * 32] = 1;
	CHECK_EQ(fat_open(&v, "/A Long Name.txt", &f), 0);
	/* A non-ASCII character: shown as '?', never matched. */
	root[(i + 1) * 32 + 2] = 0x01; /* 'A' becomes U+0141 */
	CHECK_EQ(fat_open(&v, "/ALONGN~1.TXT", &f), 0);
	CHECK(strcmp(f.name, "? Long Name.txt") == 0);
	CHECK_EQ(fat_open(&v, "/? Long Name.txt", &f), -ENOENT);
	memdisk_free(&m);
	pt_cleanup();
}

TEST(fat_path_errors)
{
	struct memdisk m;
	struct geo g;
	struct fat_vol v;
	struct fat_file f;
	uint64_t size, got;
	uint8_t buf[64];

	build_corrupt_base(&m, &g);
	CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 0), 0);
	CHECK_EQ(fat_open(&v, "/nope", &f), -ENOENT);
	CHECK(log_has("mem0: path \"/nope\": no \"nope\" in /"));
	CHECK_EQ(fat_open(&v, "/sub/nope", &f), -ENOENT);
	CHECK(log_has("no \"nope\" in /sub"));
	CHECK_EQ(fat_open(&v, "/big.bin/x", &f), -ENOTDIR);
	CHECK(log_has("/big.bin is a file, not a directory"));
	CHECK_EQ(fat_open(&v, "big.bin", &f), -EINVAL);
	CHECK_EQ(fat_open(&v, "/sub/../big.bin", &f), -EINVAL);
	CHECK_EQ(fat_open(&v, "/sub/./file.txt", &f), -EINVAL);
	CHECK_EQ(fat_open(&v, "/b\xc3\xa9", &f), -EINVAL);
	CHECK_EQ(fat_open(&v, "/", &f), 0);
	CHECK(f.is_dir);
	CHECK_EQ(fat_read(&v, &f, buf, sizeof(buf), &got), -EISDIR);
	CHECK_EQ(fat_stat(&v, "/sub", &size), -EISDIR);
	CHECK_EQ(fat_list(&v, "/big.bin", collect, NULL), -ENOTDIR);
	CHECK_EQ(fat_stat(&v, "/sub/FILE.TXT", &size), 0);
	CHECK_EQ(size, 300);
	/* Too small a buffer is an error naming both sizes, not a short read. */
	CHECK_EQ(fat_open(&v, "/big.bin", &f), 0);
	{
		uint8_t *dst = malloc(20000 + 4096);

		CHECK(dst != NULL);
		memset(dst, 0x77, 20000 + 4096);
		CHECK_EQ(fat_read(&v, &f, dst, 19999, &got), -EFBIG);
		CHECK(log_has("big.bin is 20000 bytes, larger than the 19999-byte buffer"));
		for (unsigned i = 0; i < 20000 + 4096; i++)
			CHECK(dst[i] == 0x77);
		free(dst);
	}
	memdisk_free(&m);
	pt_cleanup();
}

/* Mounting must refuse a broken BPB with a line that says which field. */
static void expect_mount_error(struct memdisk *m, unsigned off, unsigned width, uint32_t val,
			       int err, const char *why)
{
	uint8_t save[4];
	struct fat_vol v;

	memcpy(save, m->data + off, width);
	if (width == 1)
		m->data[off] = (uint8_t)val;
	else if (width == 2)
		wr16(m->data + off, val);
	else
		wr32(m->data + off, val);
	CHECK_EQ(fat_mount(&v, &m->dev, scratch, sizeof(scratch), 0), err);
	if (!log_has(why))
		log_dump();
	CHECK_MSG(log_has(why), "no \"%s\" in the log", why);
	memcpy(m->data + off, save, width);
	CHECK_EQ(fat_mount(&v, &m->dev, scratch, sizeof(scratch), 0), 0);
}

TEST(fat_bad_bpb)
{
	struct memdisk m;
	struct geo g;

	build_corrupt_base(&m, &g);
	expect_mount_error(&m, 11, 2, 0, -EINVAL, "bytes per sector 0 is not 512");
	expect_mount_error(&m, 11, 2, 1024, -EINVAL,
			   "bytes per sector 1024 differs from the device's 512-byte blocks");
	expect_mount_error(&m, 13, 1, 3, -EINVAL, "sectors per cluster 3 is not a power of two");
	expect_mount_error(&m, 13, 1, 0, -EINVAL, "sectors per cluster 0");
	expect_mount_error(&m, 14, 2, 0, -EINVAL, "reserved sector count is 0");
	expect_mount_error(&m, 16, 1, 0, -EINVAL, "FAT count 0 is not 1..4");
	expect_mount_error(&m, 16, 1, 5, -EINVAL, "FAT count 5");
	/* 0 sends the reader to the FAT32 field, here boot code: too large. */
	expect_mount_error(&m, 22, 2, 0, -EINVAL, "leave no data cluster");
	expect_mount_error(&m, 22, 2, 1, -EINVAL, "a FAT of 1 sectors cannot map");
	expect_mount_error(&m, 22, 2, 40000, -EINVAL, "leave no data cluster");
	expect_mount_error(&m, 17, 2, 0, -EINVAL, "make this FAT16, but the FAT16 size is 32 and "
						  "the root entry count 0");
	expect_mount_error(&m, 19, 2, 0, -EINVAL, "total sectors 0");
	expect_mount_error(&m, 19, 2, 40000, -EINVAL, "total sectors 40000 is not 1..32768");
	expect_mount_error(&m, 510, 1, 0, -ENOENT, "not a FAT volume");
	expect_mount_error(&m, 0, 1, 0, -ENOENT, "not a FAT volume");
	memdisk_free(&m);
	pt_cleanup();
}

TEST(fat32_bad_bpb)
{
	struct memdisk m;
	struct geo g;

	pt_need_tools();
	pt_workdir();
	pt_sh("mkfs.vfat -F 32 -s 1 -C img 40960");
	memdisk_load(&m, pt_path("img"), 512, "mem0");
	log_capture_start();
	geo_of(m.data, &g);
	expect_mount_error(&m, 44, 4, 1, -EINVAL, "root cluster 1 is not in 2..");
	expect_mount_error(&m, 44, 4, g.clusters + 2, -EINVAL, "FAT32 boot sector: root cluster");
	expect_mount_error(&m, 42, 2, 0x0100, -EINVAL, "version 0x0100 is not 0.0");
	expect_mount_error(&m, 40, 2, 0x80 | 2, -EINVAL, "active FAT 2 of 2 FATs");
	expect_mount_error(&m, 17, 2, 512, -EINVAL, "make this FAT32, but the FAT16 size is 0 "
						   "and the root entry count 512");
	expect_mount_error(&m, 36, 4, 0xffffffffu, -EINVAL, "leave no data cluster");
	expect_mount_error(&m, 36, 4, 0, -EINVAL, "FAT size is 0 sectors");
	/* The second FAT as the active one. */
	{
		struct fat_vol v;

		m.data[40] = 0x81;
		CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 0), 0);
		CHECK_EQ(v.fat_start, g.rsvd + g.fatsz);
	}
	/* A device smaller than the volume, and a 4 KiB-block device. */
	{
		struct fat_vol v;

		m.dev.blocks = g.tot - 1;
		CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 0), -EINVAL);
		CHECK(log_has("total sectors 81920 is not 1..81919"));
		m.dev.block_size = 4096;
		m.dev.blocks = g.tot / 8;
		CHECK_EQ(fat_mount(&v, &m.dev, scratch, sizeof(scratch), 0), -EINVAL);
		CHECK(log_has("bytes per sector 512 differs from the device's 4096-byte blocks"));
	}
	memdisk_free(&m);
	pt_cleanup();
}
