/* Unit tests of the payload helpers: CRC-32, SHA-256, partition views and
 * disk source specs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/crc32.h"
#include "../lib/sha256.h"
#include "../payload/blkdev.h"
#include "../payload/source.h"
#include "harness.h"
#include "memdisk.h"
#include "paytest.h"

static void hex_of(const void *buf, size_t len, char hex[65])
{
	uint8_t d[32];

	sha256(buf, len, d);
	sha256_hex(d, hex);
}

TEST(payload_crc32_vectors)
{
	static const uint8_t zeros[32];
	const char *s = "123456789";

	/* The check value of CRC-32/ISO-HDLC, and two more known values. */
	CHECK_EQ(crc32(s, 9), 0xcbf43926u);
	CHECK_EQ(crc32("", 0), 0);
	CHECK_EQ(crc32("a", 1), 0xe8b7be43u);
	CHECK_EQ(crc32(zeros, 32), 0x190a55adu);
	/* Incremental: any split gives the same CRC. */
	for (size_t cut = 0; cut <= 9; cut++)
		CHECK_EQ(crc32_update(crc32_update(0, s, cut), s + cut, 9 - cut), 0xcbf43926u);
}

TEST(payload_sha256_fips_vectors)
{
	/* FIPS 180-4 examples (NIST's SHA256.pdf and SHA2_Additional). */
	static const char abc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	static const char two_blocks[] =
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
	static const char million_a[] =
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
	static const char empty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	const char *msg448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[65];
	struct sha256_ctx c;
	uint8_t d[32], a[1000];

	hex_of("abc", 3, hex);
	CHECK(strcmp(hex, abc) == 0);
	hex_of(msg448, strlen(msg448), hex);
	CHECK(strcmp(hex, two_blocks) == 0);
	hex_of("", 0, hex);
	CHECK(strcmp(hex, empty) == 0);
	/* One million 'a': 1000 updates of 1000, crossing block edges. */
	memset(a, 'a', sizeof(a));
	sha256_init(&c);
	for (int i = 0; i < 1000; i++)
		sha256_update(&c, a, sizeof(a));
	sha256_final(&c, d);
	sha256_hex(d, hex);
	CHECK(strcmp(hex, million_a) == 0);
}

TEST(payload_sha256_split_updates)
{
	/* Every length around the padding edges (55, 56, 63, 64 bytes) and
	 * every split point gives the one-shot digest. */
	uint8_t buf[200], one[32], two[32];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 0; len <= 130; len++) {
		sha256(buf, len, one);
		for (size_t cut = 0; cut <= len; cut += 1 + len / 9) {
			struct sha256_ctx c;

			sha256_init(&c);
			sha256_update(&c, buf, cut);
			sha256_update(&c, NULL, 0);
			sha256_update(&c, buf + cut, len - cut);
			sha256_final(&c, two);
			CHECK_MSG(memcmp(one, two, 32) == 0, "len %zu cut %zu", len, cut);
		}
	}
}

TEST(payload_sha256_matches_sha256sum)
{
	static const size_t sizes[] = { 0, 1, 55, 56, 64, 1000, 1 << 20, (3 << 20) + 17 };
	char name[32], hex[65], sum[65];

	if (system("command -v sha256sum >/dev/null") != 0)
		test_skip("sha256sum is missing (Debian package coreutils)");
	pt_workdir();
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len;
		uint8_t *data, d[32];

		snprintf(name, sizeof(name), "rand%u", i);
		pt_write_file(name, sizes[i], 100 + i);
		data = pt_read_file(name, &len);
		CHECK_EQ(len, sizes[i]);
		sha256(data, len, d);
		sha256_hex(d, hex);
		pt_sha256sum(name, sum);
		CHECK_MSG(strcmp(hex, sum) == 0, "%zu bytes: %s, sha256sum %s", len, hex, sum);
		free(data);
	}
	pt_cleanup();
}

TEST(payload_sha256_hex_parse)
{
	uint8_t d[32], e[32];
	char hex[65], upper[65];

	sha256("abc", 3, d);
	sha256_hex(d, hex);
	CHECK_EQ(sha256_parse_hex(hex, e), 0);
	CHECK(memcmp(d, e, 32) == 0);
	for (int i = 0; i < 65; i++)
		upper[i] = hex[i] >= 'a' && hex[i] <= 'f' ? (char)(hex[i] - 32) : hex[i];
	CHECK_EQ(sha256_parse_hex(upper, e), 0);
	CHECK(memcmp(d, e, 32) == 0);
	hex[63] = '\0';
	CHECK_EQ(sha256_parse_hex(hex, e), -EINVAL); /* 63 digits */
	CHECK_EQ(sha256_parse_hex("", e), -EINVAL);
	sha256_hex(d, hex);
	hex[10] = 'g';
	CHECK_EQ(sha256_parse_hex(hex, e), -EINVAL);
	sha256_hex(d, hex);
	{
		char longer[67];

		snprintf(longer, sizeof(longer), "%s0", hex);
		CHECK_EQ(sha256_parse_hex(longer, e), -EINVAL); /* 65 digits */
	}
}

TEST(payload_partition_view)
{
	static uint8_t disk[64 * 512];
	struct memdisk md;
	struct blkdev_part p, bad;
	uint8_t buf[3 * 512];

	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i / 512);
	memdisk_init(&md, disk, sizeof(disk), 512, "mem0");
	log_capture_start();
	blkdev_part_init(&p, &md.dev, 10, 20, "mem0 part 1");
	CHECK_EQ(p.dev.blocks, 20);
	CHECK_EQ(p.dev.block_size, 512);
	CHECK(strcmp(p.dev.name, "mem0 part 1") == 0);
	CHECK_EQ(blkdev_read(&p.dev, 0, 3, buf), 0);
	CHECK(buf[0] == 10 && buf[512] == 11 && buf[1024] == 12);
	CHECK_EQ(blkdev_read(&p.dev, 19, 1, buf), 0);
	CHECK(buf[0] == 29);
	/* Past the window: refused by blkdev_read and by the view itself. */
	CHECK_EQ(blkdev_read(&p.dev, 19, 2, buf), -ERANGE);
	CHECK_EQ(blkdev_read(&p.dev, 20, 1, buf), -ERANGE);
	CHECK_EQ(p.dev.read(&p.dev, 18, 5, buf), -ERANGE);
	CHECK(log_has("outside the partition"));
	CHECK_EQ(p.dev.read(&p.dev, UINT64_MAX, 2, buf), -ERANGE);
	/* A window that does not fit the parent is an empty device. */
	blkdev_part_init(&bad, &md.dev, 60, 5, NULL);
	CHECK_EQ(bad.dev.blocks, 0);
	CHECK(log_has("does not fit mem0"));
	CHECK_EQ(blkdev_read(&bad.dev, 0, 1, buf), -ERANGE);
	blkdev_part_init(&bad, &md.dev, UINT64_MAX, 2, NULL);
	CHECK_EQ(bad.dev.blocks, 0);
	CHECK(strcmp(bad.dev.name, "mem0 part") == 0);
}

TEST(payload_source_forms)
{
	struct disk_source s;
	char text[SOURCE_TEXT_MAX];
	static const char digest[] =
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

	CHECK_EQ(source_parse("scsi:0/boot/vmlinuz", &s), 0);
	CHECK(s.kind == SOURCE_FILE && s.lun == 0 && s.partition == 0 && !s.has_digest);
	CHECK(strcmp(s.path, "/boot/vmlinuz") == 0);

	CHECK_EQ(source_parse("scsi:3:2/EFI/Linux/vmlinuz-6.1 rc1.efi", &s), 0);
	CHECK(s.kind == SOURCE_FILE && s.lun == 3 && s.partition == 2);
	CHECK(strcmp(s.path, "/EFI/Linux/vmlinuz-6.1 rc1.efi") == 0);

	CHECK_EQ(source_parse("scsi:255@2048+65536", &s), 0);
	CHECK(s.kind == SOURCE_RAW && s.lun == 255 && s.lba == 2048 && s.count == 65536);

	CHECK_EQ(source_parse("scsi:1@0+18446744073709551615", &s), 0);
	CHECK(s.lba == 0 && s.count == UINT64_MAX);

	snprintf(text, sizeof(text), "scsi:1:1/initrd.img#sha256=%s", digest);
	CHECK_EQ(source_parse(text, &s), 0);
	CHECK(s.has_digest && s.digest[0] == 0xba && s.digest[31] == 0xad);
	CHECK(strcmp(s.path, "/initrd.img") == 0);

	/* source_format gives back what was parsed. */
	static const char *round[] = { "scsi:0/boot/vmlinuz", "scsi:7:12/a/b",
				       "scsi:2@100+5", NULL };
	for (int i = 0; round[i]; i++) {
		CHECK_EQ(source_parse(round[i], &s), 0);
		source_format(&s, text, sizeof(text));
		CHECK_MSG(strcmp(text, round[i]) == 0, "%s -> %s", round[i], text);
	}
	snprintf(text, sizeof(text), "scsi:9@1+2#sha256=%s", digest);
	CHECK_EQ(source_parse(text, &s), 0);
	{
		char again[SOURCE_TEXT_MAX];

		source_format(&s, again, sizeof(again));
		CHECK(strcmp(again, text) == 0);
	}
}

TEST(payload_source_rejects)
{
	static const struct {
		const char *spec, *why;
	} bad[] = {
		{ "", "does not start with" },
		{ "ide:0/x", "does not start with" },
		{ "scsi:/x", "LUN is not a number" },
		{ "scsi:256/x", "LUN is not a number" },
		{ "scsi:-1/x", "LUN is not a number" },
		{ "scsi:99999999999999999999999/x", "LUN is not a number" },
		{ "scsi:0", "not followed by /, : or @" },
		{ "scsi:0x/boot", "not followed by /, : or @" },
		{ "scsi:0/", "names no file" },
		{ "scsi:0/boot/", "names a directory" },
		{ "scsi:0/bo\tot", "not printable ASCII" },
		{ "scsi:0:0/x", "partition is not a number" },
		{ "scsi:0:8193/x", "partition is not a number" },
		{ "scsi:0:/x", "partition is not a number" },
		{ "scsi:0:1", "not followed by /<path>" },
		{ "scsi:0:1x/y", "not followed by /<path>" },
		{ "scsi:0@", "LBA is not" },
		{ "scsi:0@18446744073709551616+1", "LBA is not" },
		{ "scsi:0@5", "not followed by +<count>" },
		{ "scsi:0@5+0", "block count" },
		{ "scsi:0@5+", "block count" },
		{ "scsi:0@5+18446744073709551611", "block count" },
		{ "scsi:0@5+1x", "only #sha256" },
		{ "scsi:0/x#md5=00", "only #sha256" },
		{ "scsi:0/x#sha256=abc", "not exactly 64 hex" },
		{ "scsi:0/x#sha256=", "not exactly 64 hex" },
	};
	struct disk_source s;
	char longpath[400];

	log_capture_start();
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_MSG(source_parse(bad[i].spec, &s) == -EINVAL, "accepted \"%s\"", bad[i].spec);
		CHECK_MSG(log_has(bad[i].why), "\"%s\": no \"%s\" in the log", bad[i].spec,
			  bad[i].why);
	}
	CHECK(log_has("the forms are scsi:<lun>/<path>, scsi:<lun>:<partition>/<path> and "
			 "scsi:<lun>@<lba>+<count>"));
	/* 256-character path: one too many. */
	memset(longpath, 'a', sizeof(longpath));
	memcpy(longpath, "scsi:0/", 7);
	longpath[7 + 255] = '\0';
	CHECK_EQ(source_parse(longpath, &s), -EINVAL);
	CHECK(log_has("longer than 255"));
	longpath[7 + 254] = '\0';
	CHECK_EQ(source_parse(longpath, &s), 0);
	CHECK_EQ(strlen(s.path), 255);
	/* A digest with one digit too many. */
	snprintf(longpath, sizeof(longpath), "scsi:0/x#sha256=%065d", 0);
	CHECK_EQ(source_parse(longpath, &s), -EINVAL);
}
